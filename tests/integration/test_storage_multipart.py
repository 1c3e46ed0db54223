"""The S3 store's streamed puts through the SDK's public multipart upload, against the
session's real S3 server: a put of several parts arrives whole, and one whose source stops
(a size limit, a failing client) is aborted with nothing left under the key or in the
bucket's list of unfinished uploads."""

import hashlib
import os
from collections.abc import AsyncIterator

import anyio.to_thread
import pytest
from studio_storage import ObjectNotFound, S3ObjectStore
from studio_storage.s3 import PART_SIZE

from tests.support.servers import S3Server

KiB = 1024
MiB = 1024 * KiB
KEY = "user1/proj1/uploads/big.mp4"


class TooLarge(Exception):
    pass


@pytest.fixture
async def store(s3: S3Server, s3_bucket: str) -> S3ObjectStore:
    result = S3ObjectStore(
        s3.endpoint, s3.access_key, s3.secret_key, s3_bucket, secure=s3.secure, region=s3.region
    )
    await result.ensure_ready()
    return result


def unfinished_uploads(s3: S3Server, bucket: str) -> list[str]:
    """Keys with a multipart upload begun and neither completed nor aborted. The SDK (7.x) has
    no public call for this listing; the test only looks, the store never calls it."""
    result = s3.client()._list_multipart_uploads(bucket)
    return [upload.object_name for upload in result.uploads if upload.object_name]


async def uneven_chunks(data: bytes, size: int = 700 * KiB) -> AsyncIterator[bytes]:
    """Chunks that do not line up with the parts, as a request body's do."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def limited(
    chunks: AsyncIterator[bytes], max_bytes: int, s3: S3Server, bucket: str, seen: list[str]
) -> AsyncIterator[bytes]:
    """The caller's size check, as the assets service applies it while streaming; `seen` gets
    the unfinished uploads at the moment of refusal (evidence that there was one to abort)."""
    total = 0
    async for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            seen.extend(await anyio.to_thread.run_sync(unfinished_uploads, s3, bucket))
            raise TooLarge(f"more than {max_bytes} bytes")
        yield chunk


async def test_a_put_of_three_parts_arrives_whole(store: S3ObjectStore) -> None:
    data = os.urandom(2 * PART_SIZE + 3 * MiB)
    info = await store.put(KEY, uneven_chunks(data), content_type="video/mp4")
    assert (info.size, info.content_type) == (len(data), "video/mp4")
    assert info.etag.endswith("-3"), "a multipart upload's ETag counts its parts"
    stat = await store.stat(KEY)
    assert (stat.size, stat.etag, stat.content_type) == (len(data), info.etag, "video/mp4")
    stream = await store.get(KEY)
    got = hashlib.sha256()
    async for chunk in stream:
        got.update(chunk)
    assert got.hexdigest() == hashlib.sha256(data).hexdigest()


async def test_a_put_over_the_callers_limit_is_aborted_and_leaves_nothing(
    store: S3ObjectStore, s3: S3Server, s3_bucket: str
) -> None:
    unfinished_at_refusal: list[str] = []
    chunks = limited(
        uneven_chunks(os.urandom(12 * MiB)), 11 * MiB, s3, s3_bucket, unfinished_at_refusal
    )
    with pytest.raises(TooLarge):  # the caller's own error, not a wrapper
        await store.put(KEY, chunks, content_type="video/mp4")
    assert unfinished_at_refusal == [KEY]
    with pytest.raises(ObjectNotFound):
        await store.stat(KEY)
    assert unfinished_uploads(s3, s3_bucket) == []


async def test_a_source_failing_after_two_parts_leaves_nothing(
    store: S3ObjectStore, s3: S3Server, s3_bucket: str
) -> None:
    uploads_before_failure: list[str] = []

    async def failing() -> AsyncIterator[bytes]:
        async for chunk in uneven_chunks(os.urandom(2 * PART_SIZE + MiB)):
            yield chunk
        # By now the SDK has sent two parts: the abort below has something to undo.
        uploads_before_failure.extend(
            await anyio.to_thread.run_sync(unfinished_uploads, s3, s3_bucket)
        )
        raise OSError("the client went away")

    with pytest.raises(OSError, match="went away"):
        await store.put(KEY, failing(), content_type="video/mp4")
    assert uploads_before_failure == [KEY]
    with pytest.raises(ObjectNotFound):
        await store.stat(KEY)
    assert unfinished_uploads(s3, s3_bucket) == []
