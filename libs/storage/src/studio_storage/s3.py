"""The S3 backend (MinIO, SeaweedFS, AWS, ...), on the synchronous `minio` SDK.

Every SDK call runs in a worker thread, never on the event loop, and is waited for even when
the caller is cancelled (`run_sync_to_end`), so a cancelled put never races its own cleanup.

A streamed put of more than one part goes through the SDK's public streaming `put_object`
(length unknown, parts of 5 MiB, the S3 minimum, uploaded one at a time): it reads a file-like
object in its worker thread, which `ChunkReader` feeds with the caller's chunks from the event
loop, so memory stays at about one part plus a chunk whatever the object's size. An object
that fits in one part is sent as one plain PUT. Until the SDK completes the multipart upload
nothing is visible under the key. If the caller's chunks fail (a size limit, a content check,
a client gone) or the put is cancelled, the reader raises instead of reporting the end of the
data, the SDK aborts the multipart upload, and the put waits for that (shielded from
cancellation) before raising, so no parts are left behind.
"""

import asyncio
import io
import os
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any, BinaryIO, TypeVar, cast
from urllib.parse import urlsplit

import anyio
import anyio.to_thread
import certifi
import structlog
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error
from minio.helpers import ObjectWriteResult
from urllib3.exceptions import HTTPError
from urllib3.response import BaseHTTPResponse

from studio_storage.base import ObjectInfo, ObjectNotFound, ObjectStoreError
from studio_storage.chunk_reader import ChunkReader, SourceStopped, feed_chunks
from studio_storage.common import (
    ThreadedByteStream,
    check_range,
    run_sync_to_end,
    validate_key,
)

T = TypeVar("T")

PART_SIZE = 5 * 1024 * 1024
"""S3's minimum part size (except the last): the most a put holds in memory, plus one chunk."""
MAX_PARTS = 10_000
READ_CHUNK = 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject"})
_CREDENTIALS_HINT = " (check the storage access key and secret key)"
_HINTS = {
    # A refused HEAD has no body, so the SDK can only say "AccessDenied".
    "AccessDenied": " (wrong credentials, or no rights on the bucket)",
    "SignatureDoesNotMatch": _CREDENTIALS_HINT,
    "InvalidAccessKeyId": _CREDENTIALS_HINT,
}

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

log = structlog.get_logger(__name__)


def check_bucket_name(bucket: str) -> str:
    """Return `bucket` if S3 accepts it as a bucket name, else raise ValueError."""
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise ValueError(
            f"{bucket!r} is not a valid S3 bucket name "
            "(3-63 characters: lowercase letters, digits, '.', '-')"
        )
    return bucket


def _split_endpoint(endpoint: str, secure: bool, what: str) -> tuple[str, bool]:
    """`host:port` as minio wants it, and whether to use TLS.

    Accepts `host:port` (TLS from `secure`) or `http(s)://host:port` (TLS from the scheme)."""
    if "://" not in endpoint:
        endpoint = ("https://" if secure else "http://") + endpoint
    parts = urlsplit(endpoint)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{what} must be http(s)://host[:port] or host[:port], got {endpoint!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{what} must be a bare http(s)://host[:port], got {endpoint!r}")
    if secure and parts.scheme == "http":
        raise ValueError(f"{what} {endpoint!r} is http:// but secure=True was asked for")
    return parts.netloc, parts.scheme == "https"


def _http_client() -> urllib3.PoolManager:
    """Like the SDK's default pool (same CA bundle), but an unreachable server fails within
    seconds, not after five retries of 5-minute connect timeouts."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=5, read=120),
        maxsize=16,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]),
    )


class S3ObjectStore:
    """Objects in one bucket of an S3-compatible server."""

    def __init__(
        self,
        endpoint: str,
        access_key: str,
        secret_key: str,
        bucket: str,
        *,
        secure: bool = False,
        region: str = "us-east-1",
        public_endpoint: str | None = None,
    ) -> None:
        host, tls = _split_endpoint(endpoint, secure, "S3 endpoint")
        self.bucket = check_bucket_name(bucket)
        self.endpoint = f"{'https' if tls else 'http'}://{host}"
        # A fixed region spares the SDK its GetBucketLocation round trip.
        self._client = Minio(
            host,
            access_key=access_key,
            secret_key=secret_key,
            secure=tls,
            region=region,
            http_client=_http_client(),
        )
        self._public: Minio | None = None
        if public_endpoint:
            public_host, public_tls = _split_endpoint(public_endpoint, False, "public endpoint")
            # Only ever used to sign URLs: with the region fixed, signing is offline.
            self._public = Minio(
                public_host,
                access_key=access_key,
                secret_key=secret_key,
                secure=public_tls,
                region=region,
            )

    def __repr__(self) -> str:
        return f"S3ObjectStore({self.endpoint!r}, bucket={self.bucket!r})"

    # --- lifecycle -------------------------------------------------------------------

    async def ensure_ready(self) -> None:
        if await self._call("check bucket", None, self._client.bucket_exists, self.bucket):
            return
        try:
            await self._call("create bucket", None, self._client.make_bucket, self.bucket)
        except ObjectStoreError as exc:
            # Another replica may have won the race; only a bucket we cannot use is an error.
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code in {
                "BucketAlreadyOwnedByYou",
                "BucketAlreadyExists",
            }:
                await self.ping()
                return
            raise
        log.info("object_store.bucket_created", endpoint=self.endpoint, bucket=self.bucket)

    async def ping(self) -> None:
        # A readiness check may time out: abandoning a HEAD leaves nothing behind.
        exists = await self._call(
            "check bucket", None, self._client.bucket_exists, self.bucket, abandon=True
        )
        if not exists:
            raise ObjectStoreError(f"S3 bucket {self.bucket!r} does not exist at {self.endpoint}")

    # --- writing ---------------------------------------------------------------------

    async def put(self, key: str, chunks: AsyncIterator[bytes], *, content_type: str) -> ObjectInfo:
        validate_key(key)
        content_type = content_type or DEFAULT_CONTENT_TYPE
        buffer = bytearray()
        more = await _fill(chunks, buffer)
        if not more:
            return await self._put_single(key, bytes(buffer), content_type)

        # No buffer: a chunk leaves the caller only when the SDK's reader takes it.
        send, receive = anyio.create_memory_object_stream[bytes](max_buffer_size=0)
        reader = ChunkReader(bytes(buffer), receive, limit=PART_SIZE * MAX_PARTS)
        del buffer
        upload = asyncio.ensure_future(
            self._call("put", key, lambda: self._put_stream(key, reader, content_type))
        )
        try:
            await feed_chunks(chunks, send, reader)
        except BaseException:
            # The reader fails once the feed stops early, and the SDK then aborts the upload.
            with anyio.CancelScope(shield=True):
                await _settled(upload)
            error = None if upload.cancelled() else upload.exception()
            if error is not None and not isinstance(error, SourceStopped):
                # The abort failed: the caller's error matters more, and the bucket's
                # lifecycle rules (or an operator) must reclaim the parts.
                log.warning(
                    "object_store.abort_failed",
                    bucket=self.bucket,
                    key=key,
                    error=str(error),
                )
            raise
        try:
            # Shielded: a cancellation of this call must not reach the upload's task. Cancelled
            # there, it stopped waiting on the SDK's thread while that thread was still taking
            # the last chunks through the event loop, and the thread then hung with its
            # multipart upload neither completed nor aborted (seen under load).
            result = await asyncio.shield(upload)
        finally:
            # Cancelled while completing: the object is whole and in place once this returns.
            with anyio.CancelScope(shield=True):
                await _settled(upload)
        return ObjectInfo(
            key=key, size=reader.size, etag=_etag(result.etag), content_type=content_type
        )

    def _put_stream(self, key: str, reader: ChunkReader, content_type: str) -> ObjectWriteResult:
        """The SDK's streaming put (in a worker thread): parts of `PART_SIZE` read from
        `reader` and uploaded one at a time, the upload aborted if anything fails."""
        try:
            return self._client.put_object(
                self.bucket,
                key,
                cast(BinaryIO, reader),  # the SDK only calls read(n)
                -1,
                content_type=content_type,
                part_size=PART_SIZE,
                # One part at a time: with parallel parts the SDK would abort the upload while
                # other parts are still in flight, and only notice a failed part at the end.
                num_parallel_uploads=1,
            )
        finally:
            reader.close()

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> ObjectInfo:
        validate_key(key)
        if len(data) <= PART_SIZE:
            return await self._put_single(key, data, content_type or DEFAULT_CONTENT_TYPE)
        return await self.put(key, _slices(data), content_type=content_type)

    async def _put_single(self, key: str, data: bytes, content_type: str) -> ObjectInfo:
        result = await self._call(
            "put",
            key,
            lambda: self._client.put_object(
                self.bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                num_parallel_uploads=1,
            ),
        )
        return ObjectInfo(
            key=key, size=len(data), etag=_etag(result.etag), content_type=content_type
        )

    async def delete(self, key: str) -> None:
        validate_key(key)
        await self._call("delete", key, self._client.remove_object, self.bucket, key)

    # --- reading ---------------------------------------------------------------------

    async def get(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """Python-slice semantics: `data[offset:offset + length]`, empty past the end."""
        validate_key(key)
        check_range(offset, length)
        if length == 0:
            await self.stat(key)
            return _empty()
        try:
            # length=0 means "to the end" to the SDK.
            response = await self._call(
                "get", key, self._client.get_object, self.bucket, key, offset, length or 0
            )
        except ObjectStoreError as exc:
            # 416: the object exists but the range starts past its end.
            if isinstance(exc.__cause__, S3Error) and exc.__cause__.code == "InvalidRange":
                return _empty()
            raise
        ranged = bool(offset or length)
        if ranged and response.status != 206:
            _release(response, exhausted=False)
            raise ObjectStoreError(
                f"S3 get {key!r}: asked for a range, got status {response.status}"
            )
        return ThreadedByteStream(
            lambda size: self._read(response, key, size),
            lambda exhausted: _release(response, exhausted=exhausted),
            limit=None,
            chunk_size=READ_CHUNK,
        )

    def _read(self, response: BaseHTTPResponse, key: str, size: int) -> bytes:
        try:
            return response.read(size, decode_content=False)
        except HTTPError as exc:
            raise ObjectStoreError(f"S3 get {key!r} from {self.endpoint} broke off: {exc}") from exc

    async def stat(self, key: str) -> ObjectInfo:
        validate_key(key)
        obj = await self._call("stat", key, self._client.stat_object, self.bucket, key)
        return ObjectInfo(
            key=key,
            size=obj.size or 0,
            etag=_etag(obj.etag),
            content_type=obj.content_type or DEFAULT_CONTENT_TYPE,
        )

    async def presigned_get_url(
        self, key: str, *, expires_s: int, response_content_disposition: str | None = None
    ) -> str | None:
        validate_key(key)
        if self._public is None:
            return None
        headers: dict[str, str | list[str] | tuple[str]] | None = (
            {"response-content-disposition": response_content_disposition}
            if response_content_disposition
            else None
        )
        # Signing is local HMAC work (the region is fixed): no thread, no network.
        return self._public.get_presigned_url(
            "GET",
            self.bucket,
            key,
            expires=timedelta(seconds=expires_s),
            response_headers=headers,
        )

    # --- plumbing --------------------------------------------------------------------

    async def _call(
        self,
        action: str,
        key: str | None,
        func: Callable[..., T],
        *args: object,
        abandon: bool = False,
    ) -> T:
        """Run one SDK call in a worker thread, translating its errors. `abandon`: on
        cancellation return at once and let the thread finish alone (side-effect-free calls
        whose caller may be in a hurry, like a readiness check under a timeout)."""
        try:
            if abandon:
                return await anyio.to_thread.run_sync(lambda: func(*args), abandon_on_cancel=True)
            return await run_sync_to_end(lambda: func(*args))
        except S3Error as exc:
            if key is not None and exc.code in _NOT_FOUND_CODES:
                raise ObjectNotFound(f"no object {key!r} in bucket {self.bucket!r}") from exc
            hint = _HINTS.get(exc.code or "", "")
            raise ObjectStoreError(
                f"S3 {action} {self._where(key)} at {self.endpoint} failed: "
                f"{exc.code}: {exc.message}{hint}"
            ) from exc
        except HTTPError as exc:
            raise ObjectStoreError(
                f"S3 {action} {self._where(key)}: {self.endpoint} is unreachable: {exc}"
            ) from exc
        except MinioException as exc:  # a response that is not S3 (a proxy's error page, ...)
            raise ObjectStoreError(
                f"S3 {action} {self._where(key)}: unexpected answer from {self.endpoint}: {exc}"
            ) from exc

    def _where(self, key: str | None) -> str:
        return repr(self.bucket) if key is None else f"{key!r} in bucket {self.bucket!r}"


async def _fill(chunks: AsyncIterator[bytes], buffer: bytearray) -> bool:
    """Read chunks into `buffer` until it holds more than a part; False once `chunks` ends.

    "More than" rather than "a whole part" is what tells a last part from a full one."""
    while len(buffer) <= PART_SIZE:
        try:
            chunk = await anext(chunks)
        except StopAsyncIteration:
            return False
        buffer += chunk
    return True


async def _settled(task: "asyncio.Future[Any]") -> None:
    """Wait for `task` to finish, whatever its outcome."""
    await asyncio.gather(task, return_exceptions=True)


async def _slices(data: bytes) -> AsyncIterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), PART_SIZE):
        yield bytes(view[start : start + PART_SIZE])


async def _empty() -> AsyncIterator[bytes]:
    return
    yield


def _etag(value: str | None) -> str:
    return (value or "").strip('"')


def _release(response: BaseHTTPResponse, *, exhausted: bool) -> None:
    """Give a drained connection back to the pool; close one with unread bytes."""
    if not exhausted:
        response.close()
    response.release_conn()
