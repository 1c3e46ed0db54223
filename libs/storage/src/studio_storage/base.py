"""The object store every asset's bytes live in: one interface, several backends.

Keys are deterministic paths (`{user}/{project}/uploads/{asset}.{ext}`,
`{user}/{project}/{generation}/{index}.{ext}`), so writing the same key twice overwrites.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol


class ObjectNotFound(LookupError):
    """No object under that key."""


class ObjectStoreError(RuntimeError):
    """The store failed (unreachable, refused, ...); the message says which and why."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    content_type: str


class ObjectStore(Protocol):
    async def ensure_ready(self) -> None:
        """Create what must exist (the bucket, the directory); idempotent."""

    async def ping(self) -> None:
        """Raise if the store cannot be reached (readiness check)."""

    async def put(self, key: str, chunks: AsyncIterator[bytes], *, content_type: str) -> ObjectInfo:
        """Stream `chunks` into `key` without holding the whole object in memory.

        The object appears only once complete: a failed or abandoned put leaves nothing."""

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> ObjectInfo: ...

    async def get(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """Await it for an iterator of the object's bytes from `offset`, `length` of them (all
        if None), in chunks: `stream = await store.get(key)`, then `async for chunk in stream`.

        The await raises ObjectNotFound when the key does not exist, before any response
        has been started, so an HTTP handler can still answer 404."""

    async def stat(self, key: str) -> ObjectInfo: ...

    async def delete(self, key: str) -> None:
        """Remove the object; removing a missing key is not an error."""

    async def presigned_get_url(
        self, key: str, *, expires_s: int, response_content_disposition: str | None = None
    ) -> str | None:
        """A time-limited URL a browser can fetch directly, or None when the backend has no
        public endpoint (the directory store, or S3 without `public_endpoint`)."""
