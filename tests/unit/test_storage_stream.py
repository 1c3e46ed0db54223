"""The S3 store's multipart upload stream without a server: chunks that arrive on the event
loop become fixed-size parts read by the SDK in its worker thread (`ChunkReader`,
`feed_chunks`), and a caller that stops early makes the upload abort, never complete short.

The SDK is replaced by a fake `put_object` that reads as minio's does (`read(part_size)` until
a short read) and records what it would have uploaded."""

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

import anyio
import anyio.to_thread
import pytest
from studio_storage import s3
from studio_storage.base import ObjectStoreError
from studio_storage.chunk_reader import HANDOVER_SIZE, ChunkReader, SourceStopped, feed_chunks

PART = 8


@dataclass
class Upload:
    key: str
    parts: list[bytes] = field(default_factory=list)
    multipart: bool = False
    completed: bool = False
    aborted: bool = False


@dataclass
class Result:
    etag: str = '"etag-1"'


class FakeMinio:
    """`put_object` as the store calls it: a known length in one request, or length -1 read
    in parts of `part_size`, the multipart upload aborted when reading fails."""

    def __init__(self) -> None:
        self.uploads: list[Upload] = []

    def put_object(
        self,
        bucket: str,
        key: str,
        data: BinaryIO,
        length: int,
        *,
        content_type: str,
        part_size: int = 0,
        num_parallel_uploads: int = 1,
    ) -> Result:
        upload = Upload(key)
        self.uploads.append(upload)
        if length >= 0:
            upload.parts.append(data.read(length))
            upload.completed = True
            return Result()
        upload.multipart = True
        try:
            while True:
                part = data.read(part_size)
                if part:
                    upload.parts.append(part)
                if len(part) < part_size:
                    break
        except BaseException:
            upload.aborted = True
            raise
        upload.completed = True
        return Result()


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> tuple[s3.S3ObjectStore, FakeMinio]:
    monkeypatch.setattr(s3, "PART_SIZE", PART)
    monkeypatch.setattr(s3, "MAX_PARTS", 4)
    # Offline: the region is fixed, so constructing the client contacts nothing.
    object_store = s3.S3ObjectStore("http://127.0.0.1:9", "key", "secret", "bucket")
    fake = FakeMinio()
    object_store._client = fake  # type: ignore[assignment]
    return object_store, fake


async def chunks_of(pieces: Iterable[bytes]) -> AsyncIterator[bytes]:
    for piece in pieces:
        await asyncio.sleep(0)
        yield piece


async def test_a_body_within_one_part_is_one_plain_put(
    store: tuple[s3.S3ObjectStore, FakeMinio],
) -> None:
    object_store, fake = store
    info = await object_store.put("a/b", chunks_of([b"abc", b"defgh"]), content_type="text/plain")
    [upload] = fake.uploads
    assert not upload.multipart
    assert upload.parts == [b"abcdefgh"]
    assert (info.size, info.etag, info.content_type) == (8, "etag-1", "text/plain")


async def test_chunks_of_any_size_become_full_parts_and_a_last_short_one(
    store: tuple[s3.S3ObjectStore, FakeMinio],
) -> None:
    object_store, fake = store
    data = bytes(range(26))
    pieces = [data[0:3], data[3:4], b"", data[4:17], data[17:26]]
    info = await object_store.put("k", chunks_of(pieces), content_type="application/x")
    [upload] = fake.uploads
    assert upload.multipart
    assert upload.completed
    assert [len(part) for part in upload.parts] == [8, 8, 8, 2]
    assert b"".join(upload.parts) == data
    assert info.size == 26


async def test_an_exact_multiple_of_the_part_size_ends_cleanly(
    store: tuple[s3.S3ObjectStore, FakeMinio],
) -> None:
    object_store, fake = store
    data = b"x" * (PART * 3)
    await object_store.put("k", chunks_of([data[:5], data[5:]]), content_type="a/b")
    [upload] = fake.uploads
    assert upload.completed
    assert b"".join(upload.parts) == data


async def test_a_caller_that_fails_midway_aborts_the_upload(
    store: tuple[s3.S3ObjectStore, FakeMinio],
) -> None:
    object_store, fake = store

    async def broken() -> AsyncIterator[bytes]:
        yield b"0123456789"  # more than a part: a multipart upload starts
        yield b"abcdefgh"
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        await object_store.put("k", broken(), content_type="a/b")
    [upload] = fake.uploads
    assert upload.aborted
    assert not upload.completed, "a truncated object must never be completed"


async def test_a_cancelled_put_aborts_the_upload(
    store: tuple[s3.S3ObjectStore, FakeMinio],
) -> None:
    object_store, fake = store
    stalled = asyncio.Event()

    async def slow() -> AsyncIterator[bytes]:
        yield b"0123456789"
        stalled.set()
        await asyncio.Event().wait()  # never more
        yield b""

    put = asyncio.create_task(object_store.put("k", slow(), content_type="a/b"))
    await stalled.wait()
    put.cancel()
    with pytest.raises(asyncio.CancelledError):
        await put
    [upload] = fake.uploads
    assert upload.aborted
    assert not upload.completed


async def test_more_than_the_most_parts_is_refused(
    store: tuple[s3.S3ObjectStore, FakeMinio],
) -> None:
    object_store, fake = store
    too_much = [b"y" * PART] * 5  # MAX_PARTS is 4 here
    with pytest.raises(ObjectStoreError, match="too large"):
        await object_store.put("k", chunks_of(too_much), content_type="a/b")
    assert not fake.uploads[0].completed


# --- the reader on its own -----------------------------------------------------------------


async def read_in_thread(reader: ChunkReader, size: int) -> list[bytes]:
    def read_parts() -> list[bytes]:
        parts = []
        try:
            while part := reader.read(size):
                parts.append(part)
            return parts
        finally:
            reader.close()

    return await anyio.to_thread.run_sync(read_parts)


async def test_the_reader_stops_with_an_error_when_the_feed_stops_early() -> None:
    send, receive = anyio.create_memory_object_stream[bytes](max_buffer_size=0)
    reader = ChunkReader(b"", receive, limit=1000)

    async def stops() -> AsyncIterator[bytes]:
        yield b"abcd"
        raise RuntimeError("upstream failed")

    async def feed() -> None:
        with pytest.raises(RuntimeError):
            await feed_chunks(stops(), send, reader)

    async with anyio.create_task_group() as tg:
        tg.start_soon(feed)
        with pytest.raises(SourceStopped):
            await read_in_thread(reader, 4)
    assert not reader.complete


async def test_a_reader_closed_early_stops_the_feed_quietly() -> None:
    send, receive = anyio.create_memory_object_stream[bytes](max_buffer_size=0)
    reader = ChunkReader(b"", receive, limit=1000)

    # Chunks are handed over in batches of HANDOVER_SIZE: three batches' worth, one read.
    pieces = [bytes([n]) * HANDOVER_SIZE for n in range(3)]

    def first_part_only() -> bytes:
        try:
            return reader.read(4)
        finally:
            reader.close()

    async with anyio.create_task_group() as tg:
        tg.start_soon(feed_chunks, chunks_of(pieces), send, reader)
        assert await anyio.to_thread.run_sync(first_part_only) == b"\0" * 4
    assert not reader.complete, "the feed did not reach the end of the data"
