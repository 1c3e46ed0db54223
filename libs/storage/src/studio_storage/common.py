"""What every backend shares: the rules a key must follow, running blocking calls in worker
threads, and a byte stream that reads a blocking source (a file, an HTTP response)."""

import re
from collections.abc import Callable
from typing import Self, TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

MAX_KEY_LENGTH = 1024
"""S3's own limit, in bytes; the allowed characters are all ASCII."""
MAX_SEGMENT_LENGTH = 200
"""Below the usual 255-byte file-name limit, leaving room for the directory store's temp and
sidecar suffixes."""

_KEY = re.compile(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*")


def validate_key(key: str) -> str:
    """Return `key` if it is a relative, slash-separated path of `[A-Za-z0-9._-]` segments,
    else raise ValueError.

    Every backend applies the same rule, so a key that works on S3 also works in a directory:
    no absolute paths, no empty, `.` or `..` segments, nothing that could leave the root."""
    if not _KEY.fullmatch(key):
        raise ValueError(
            f"invalid object key {key!r}: use relative paths of [A-Za-z0-9._-] segments "
            "separated by single slashes"
        )
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"invalid object key: longer than {MAX_KEY_LENGTH} characters")
    for segment in key.split("/"):
        if segment in {".", ".."}:
            raise ValueError(f"invalid object key {key!r}: '.' and '..' segments are not allowed")
        if len(segment) > MAX_SEGMENT_LENGTH:
            raise ValueError(
                f"invalid object key: a segment is longer than {MAX_SEGMENT_LENGTH} characters"
            )
    return key


def check_range(offset: int, length: int | None) -> None:
    if offset < 0:
        raise ValueError(f"offset must be >= 0, got {offset}")
    if length is not None and length < 0:
        raise ValueError(f"length must be >= 0, got {length}")


async def run_sync_to_end(func: Callable[[], T]) -> T:
    """Run `func` in a worker thread and return (or raise) only once it has finished, however
    the caller is cancelled.

    `anyio.to_thread.run_sync` waits for its thread when an anyio cancel scope is cancelled,
    but a native `task.cancel()` (`asyncio.wait_for`, `asyncio.timeout`, ...) makes it return
    at once while the thread runs on, so cleanup could race the very call it cleans up after
    (abort an upload before its last part lands, close a file mid-read). Running the call in
    a child task makes anyio's task group wait for it in both cases; the cancellation is then
    re-raised. Side effects the thread had are done by then, and a caller that must undo
    them records them from inside `func`."""
    values: list[T] = []
    errors: list[Exception] = []

    async def worker() -> None:
        try:
            values.append(await anyio.to_thread.run_sync(func))
        except Exception as exc:  # re-raised bare below, not wrapped in an ExceptionGroup
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        tg.start_soon(worker)
    if errors:
        raise errors[0]
    return values[0]


class ThreadedByteStream:
    """An async iterator over a blocking `read(n)`, each read run in a worker thread.

    It stops after `limit` bytes (None: at end of data) and then calls `release(True)`; on an
    error, `aclose()` or garbage collection before that it calls `release(False)`, so the
    source (file, connection) is never left open by a consumer that stops early."""

    def __init__(
        self,
        read: Callable[[int], bytes],
        release: Callable[[bool], None],
        *,
        limit: int | None,
        chunk_size: int,
    ) -> None:
        self._read = read
        self._release: Callable[[bool], None] | None = release
        self._remaining = limit
        self._chunk_size = chunk_size

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> bytes:
        if self._release is None:
            raise StopAsyncIteration
        if self._remaining == 0:
            self._finish(exhausted=True)
            raise StopAsyncIteration
        size = (
            self._chunk_size if self._remaining is None else min(self._chunk_size, self._remaining)
        )
        try:
            data = await run_sync_to_end(lambda: self._read(size))
        except BaseException:
            self._finish(exhausted=False)
            raise
        if not data:
            self._finish(exhausted=self._remaining is None)
            raise StopAsyncIteration
        if self._remaining is not None:
            self._remaining -= len(data)
        return data

    async def aclose(self) -> None:
        """Release the source now; needed only when stopping before the end."""
        self._finish(exhausted=False)

    def _finish(self, *, exhausted: bool) -> None:
        release, self._release = self._release, None
        if release is not None:
            release(exhausted)

    def __del__(self) -> None:
        self._finish(exhausted=False)
