"""One contract for every object store backend: S3 (against the session's real S3 server)
and a directory. Each test runs against both unless it is about one backend's specifics."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from studio_storage import (
    DirectoryObjectStore,
    ObjectNotFound,
    ObjectStore,
    ObjectStoreError,
    S3ObjectStore,
    object_store_from_url,
)
from studio_storage.s3 import PART_SIZE

from tests.support.servers import S3Server

MiB = 1024 * 1024


# --- fixtures and helpers ------------------------------------------------------------


class Backend:
    """A store under test plus what a test needs to look behind it."""

    def __init__(
        self,
        kind: str,
        store: ObjectStore,
        s3: S3Server | None,
        bucket: str | None,
        root: Path | None,
    ) -> None:
        self.kind = kind
        self.store = store
        self.s3 = s3
        self.bucket = bucket
        self.root = root

    def incomplete_uploads(self) -> list[str]:
        """Keys with a multipart upload begun and neither completed nor aborted (S3 only)."""
        if self.s3 is None or self.bucket is None:
            return []
        result = self.s3.client()._list_multipart_uploads(self.bucket)
        return [upload.object_name for upload in result.uploads if upload.object_name]

    def stray_files(self) -> list[Path]:
        """Files in the directory store that are not an object or its sidecar."""
        if self.root is None:
            return []
        return [
            path
            for path in self.root.rglob("*")
            if path.is_file() and (path.name.startswith(".") or path.name.endswith("~tmp"))
        ]

    def assert_nothing_left_behind(self) -> None:
        assert self.incomplete_uploads() == []
        assert self.stray_files() == []


@pytest.fixture(params=["s3", "directory"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "s3":
        s3: S3Server = request.getfixturevalue("s3")
        bucket: str = request.getfixturevalue("s3_bucket")
        store: ObjectStore = _s3_store(s3, bucket)
        result = Backend("s3", store, s3, bucket, None)
    else:
        root = tmp_path / "objects"
        result = Backend("directory", DirectoryObjectStore(root), None, None, root)
    await result.store.ensure_ready()
    return result


@pytest.fixture
def store(backend: Backend) -> ObjectStore:
    return backend.store


def _s3_store(s3: S3Server, bucket: str, **kwargs: str) -> S3ObjectStore:
    return S3ObjectStore(
        s3.endpoint,
        s3.access_key,
        s3.secret_key,
        bucket,
        secure=s3.secure,
        region=s3.region,
        **kwargs,
    )


async def chunked(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        await anyio.lowlevel.checkpoint()
        yield chunk


def mib_chunks(count: int) -> list[bytes]:
    return [os.urandom(MiB) for _ in range(count)]


async def read(
    store: ObjectStore, key: str, *, offset: int = 0, length: int | None = None
) -> bytes:
    stream = await store.get(key, offset=offset, length=length)
    return b"".join([chunk async for chunk in stream])


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


KEY = "user1/proj1/uploads/asset1.png"


# --- writing and reading -------------------------------------------------------------


async def test_put_streams_chunks_and_get_returns_them(store: ObjectStore) -> None:
    chunks = [b"hello ", b"", b"object ", b"store"]
    info = await store.put(KEY, chunked(*chunks), content_type="image/png")
    assert info.key == KEY
    assert info.size == len(b"".join(chunks))
    assert info.content_type == "image/png"
    assert info.etag == hashlib.md5(b"".join(chunks)).hexdigest()  # single part: plain MD5
    assert await read(store, KEY) == b"hello object store"


async def test_large_object_from_mib_chunks_round_trips(backend: Backend) -> None:
    store = backend.store
    chunks = mib_chunks(12)
    data = b"".join(chunks)
    info = await store.put(KEY, chunked(*chunks), content_type="video/mp4")
    assert info.size == len(data)
    stat = await store.stat(KEY)
    assert (stat.size, stat.etag, stat.content_type) == (len(data), info.etag, "video/mp4")
    if backend.kind == "s3":
        assert info.etag.endswith("-3")  # 5 + 5 + 2 MiB parts
    stream = await store.get(KEY)
    digest = hashlib.sha256()
    largest = 0
    async for chunk in stream:
        digest.update(chunk)
        largest = max(largest, len(chunk))
    assert digest.hexdigest() == sha256(data)
    assert largest <= MiB  # streamed, not read whole
    backend.assert_nothing_left_behind()


async def test_an_object_of_exactly_one_part(store: ObjectStore) -> None:
    data = os.urandom(PART_SIZE)
    info = await store.put(KEY, chunked(data[:MiB], data[MiB:]), content_type="image/png")
    assert info.etag == hashlib.md5(data).hexdigest()
    assert sha256(await read(store, KEY)) == sha256(data)


async def test_one_chunk_larger_than_several_parts(store: ObjectStore) -> None:
    data = os.urandom(11 * MiB + 3)
    await store.put(KEY, chunked(data), content_type="video/mp4")
    assert sha256(await read(store, KEY)) == sha256(data)


async def test_empty_object(store: ObjectStore) -> None:
    info = await store.put(KEY, chunked(), content_type="text/plain")
    assert info.size == 0
    assert (await store.stat(KEY)).size == 0
    assert await read(store, KEY) == b""
    assert await read(store, KEY, offset=0, length=10) == b""


async def test_put_bytes_and_stat(store: ObjectStore) -> None:
    info = await store.put_bytes(KEY, b"thumbnail", content_type="image/webp")
    assert info.size == 9
    stat = await store.stat(KEY)
    assert stat.key == KEY
    assert stat.size == 9
    assert stat.content_type == "image/webp"
    assert stat.etag == info.etag == hashlib.md5(b"thumbnail").hexdigest()
    assert await read(store, KEY) == b"thumbnail"


async def test_put_bytes_larger_than_a_part(store: ObjectStore) -> None:
    data = os.urandom(PART_SIZE + 1234)
    info = await store.put_bytes(KEY, data, content_type="video/mp4")
    assert info.size == len(data)
    assert sha256(await read(store, KEY)) == sha256(data)


async def test_overwriting_a_key_replaces_the_content(store: ObjectStore) -> None:
    await store.put_bytes(KEY, b"first version, longer", content_type="text/plain")
    await store.put(KEY, chunked(b"second"), content_type="application/json")
    assert await read(store, KEY) == b"second"
    stat = await store.stat(KEY)
    assert (stat.size, stat.content_type) == (6, "application/json")


async def test_keys_in_nested_folders_are_independent(store: ObjectStore) -> None:
    await store.put_bytes("u/p/a.png", b"a", content_type="image/png")
    await store.put_bytes("u/p/sub/b.png", b"b", content_type="image/png")
    assert await read(store, "u/p/a.png") == b"a"
    assert await read(store, "u/p/sub/b.png") == b"b"
    with pytest.raises(ObjectNotFound):
        await store.stat("u/p")  # a "folder" is not an object
    with pytest.raises(ObjectNotFound):
        await store.get("u/p/sub")


# --- ranges --------------------------------------------------------------------------


async def test_get_with_offset_and_length_returns_exactly_that_slice(backend: Backend) -> None:
    store = backend.store
    chunks = mib_chunks(11)
    data = b"".join(chunks)
    await store.put(KEY, chunked(*chunks), content_type="video/mp4")
    size = len(data)
    cases = [
        (0, 1),
        (10, 100),
        (PART_SIZE - 10, 20),  # spans the first part boundary
        (2 * PART_SIZE - 1, 2),  # spans the second
        (PART_SIZE, MiB),  # starts exactly on a boundary
        (size - 1, 1),  # the last byte
        (size - 5, None),  # from an offset to the end
        (0, None),
        (size - 3, 10),  # a length past the end is cut at the end
        (size, 5),  # nothing past the end
        (size + 100, None),
        (123, 0),
    ]
    for offset, length in cases:
        got = await read(store, KEY, offset=offset, length=length)
        end = size if length is None else offset + length
        assert got == data[offset:end], (offset, length)


async def test_bad_ranges_are_refused(store: ObjectStore) -> None:
    await store.put_bytes(KEY, b"abc", content_type="text/plain")
    with pytest.raises(ValueError, match="offset"):
        await store.get(KEY, offset=-1)
    with pytest.raises(ValueError, match="length"):
        await store.get(KEY, length=-1)


async def test_a_stream_abandoned_half_way_frees_its_source(store: ObjectStore) -> None:
    data = os.urandom(3 * MiB)
    await store.put_bytes(KEY, data, content_type="video/mp4")
    for _ in range(20):  # more than the connection pool holds
        stream = await store.get(KEY)
        first = await anext(stream)
        assert first == data[: len(first)]
        await stream.aclose()  # type: ignore[attr-defined]
    assert sha256(await read(store, KEY)) == sha256(data)


# --- missing keys --------------------------------------------------------------------


async def test_missing_key(store: ObjectStore) -> None:
    with pytest.raises(ObjectNotFound):
        await store.stat("nobody/here.png")
    with pytest.raises(ObjectNotFound):
        await store.get("nobody/here.png")  # the await itself raises, before any byte
    with pytest.raises(ObjectNotFound):
        await store.get("nobody/here.png", offset=5, length=10)
    with pytest.raises(ObjectNotFound):
        await store.get("nobody/here.png", length=0)


async def test_delete(store: ObjectStore) -> None:
    await store.put_bytes(KEY, b"x", content_type="image/png")
    await store.delete(KEY)
    with pytest.raises(ObjectNotFound):
        await store.stat(KEY)
    with pytest.raises(ObjectNotFound):
        await store.get(KEY)
    await store.delete(KEY)  # again: a missing key is fine
    await store.delete("never/existed.png")


# --- failed and cancelled puts -------------------------------------------------------


class Boom(Exception):
    pass


async def failing_after(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
    raise Boom("the client went away")


@pytest.mark.parametrize("mib_before_failure", [0, 2, 7, 12])
async def test_a_put_whose_chunks_fail_leaves_nothing(
    backend: Backend, mib_before_failure: int
) -> None:
    """Before the first part, after one part (a multipart upload exists) and after two."""
    store = backend.store
    with pytest.raises(Boom):  # the original error, not a wrapper
        await store.put(KEY, failing_after(mib_chunks(mib_before_failure)), content_type="x/y")
    with pytest.raises(ObjectNotFound):
        await store.stat(KEY)
    backend.assert_nothing_left_behind()


async def test_a_failed_overwrite_keeps_the_old_object(backend: Backend) -> None:
    store = backend.store
    await store.put_bytes(KEY, b"old", content_type="text/plain")
    with pytest.raises(Boom):
        await store.put(KEY, failing_after(mib_chunks(6)), content_type="video/mp4")
    assert await read(store, KEY) == b"old"
    assert (await store.stat(KEY)).content_type == "text/plain"
    backend.assert_nothing_left_behind()


@pytest.mark.parametrize("mib_before_cancel", [1, 7])
async def test_a_cancelled_put_leaves_nothing(backend: Backend, mib_before_cancel: int) -> None:
    store = backend.store
    stalled = anyio.Event()

    async def stalling() -> AsyncIterator[bytes]:
        for chunk in mib_chunks(mib_before_cancel):
            yield chunk
        stalled.set()
        await anyio.sleep_forever()
        yield b"never"

    async with anyio.create_task_group() as tg:
        tg.start_soon(lambda: store.put(KEY, stalling(), content_type="video/mp4"))
        with anyio.fail_after(30):
            await stalled.wait()
        if backend.kind == "s3" and mib_before_cancel > PART_SIZE // MiB:
            assert backend.incomplete_uploads() == [KEY]  # the abort path is really exercised
        tg.cancel_scope.cancel()

    with pytest.raises(ObjectNotFound):
        await store.stat(KEY)
    backend.assert_nothing_left_behind()


@pytest.mark.parametrize("how", ["anyio", "asyncio"])
async def test_a_put_cancelled_at_any_moment_leaves_nothing_partial(
    backend: Backend, how: str
) -> None:
    """Cancel after growing delays, so some cancellations land while a part upload (or a
    write, or the commit) is in flight in its thread, with an anyio cancel scope and with a
    native `asyncio.wait_for` timeout. Whatever the moment: the key holds nothing or the
    whole object, and no upload or temp file is left."""
    store = backend.store
    chunks = mib_chunks(12)
    data = b"".join(chunks)
    for attempt in range(12):
        key = f"u/p/cancel-{attempt}.bin"
        delay = 0.02 * attempt
        if how == "anyio":
            with anyio.move_on_after(delay):
                await store.put(key, chunked(*chunks), content_type="video/mp4")
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    store.put(key, chunked(*chunks), content_type="video/mp4"), delay
                )
        try:
            stat = await store.stat(key)
        except ObjectNotFound:
            continue
        assert stat.size == len(data)
        assert sha256(await read(store, key)) == sha256(data)
    backend.assert_nothing_left_behind()


# --- keys ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "../x",
        "/abs",
        "a//b",
        "a/../b",
        "a/./b",
        "a/",
        "",
        "a\\b",
        "a b",
        "ä.png",
        "a?b",
        "..",
        "x/" + "s" * 201,
    ],
)
async def test_bad_keys_are_refused(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put_bytes(key, b"x", content_type="text/plain")
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put(key, chunked(b"x"), content_type="text/plain")
    with pytest.raises(ValueError, match="invalid object key"):
        await store.stat(key)
    with pytest.raises(ValueError, match="invalid object key"):
        await store.get(key)
    with pytest.raises(ValueError, match="invalid object key"):
        await store.delete(key)


async def test_directory_store_keeps_objects_under_its_root(tmp_path: Path) -> None:
    store = DirectoryObjectStore(tmp_path / "root")
    await store.ensure_ready()
    await store.ensure_ready()  # idempotent
    await store.ping()
    await store.put_bytes("u/p/a.png", b"png", content_type="image/png")
    assert (tmp_path / "root" / "u" / "p" / "a.png").read_bytes() == b"png"
    with pytest.raises(ValueError, match="invalid object key"):
        await store.put_bytes("../escaped.png", b"x", content_type="image/png")
    assert not (tmp_path / "escaped.png").exists()


async def test_directory_ping_fails_without_its_directory(tmp_path: Path) -> None:
    with pytest.raises(ObjectStoreError, match="missing"):
        await DirectoryObjectStore(tmp_path / "nope").ping()


# --- presigned URLs ------------------------------------------------------------------


async def test_no_presigned_url_without_a_public_endpoint(store: ObjectStore) -> None:
    await store.put_bytes(KEY, b"x", content_type="image/png")
    assert await store.presigned_get_url(KEY, expires_s=60) is None


async def test_presigned_url_on_the_public_endpoint(s3: S3Server, s3_bucket: str) -> None:
    store = _s3_store(s3, s3_bucket, public_endpoint=s3.endpoint)
    data = os.urandom(1000)
    await store.put_bytes(KEY, data, content_type="image/png")
    disposition = 'attachment; filename="cat.png"'
    url = await store.presigned_get_url(
        KEY, expires_s=300, response_content_disposition=disposition
    )
    assert url is not None
    assert url.startswith(s3.endpoint + "/")
    async with httpx.AsyncClient() as http:
        whole = await http.get(url)
        assert whole.status_code == 200
        assert whole.content == data
        assert whole.headers["content-type"] == "image/png"
        assert whole.headers["content-disposition"] == disposition
        part = await http.get(url, headers={"Range": "bytes=10-19"})
        assert part.status_code == 206
        assert part.content == data[10:20]
        assert part.headers["content-range"] == "bytes 10-19/1000"
        tampered = await http.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
        assert tampered.status_code == 403


async def test_presigning_needs_no_network(closed_port: int) -> None:
    store = S3ObjectStore(
        f"127.0.0.1:{closed_port}",
        "key",
        "secret",
        "some-bucket",
        public_endpoint="https://cdn.example.com",
    )
    url = await store.presigned_get_url("a/b.png", expires_s=60)
    assert url is not None
    assert url.startswith("https://cdn.example.com/some-bucket/a/b.png?")
    assert "X-Amz-Expires=60" in url


# --- S3 readiness and failures -------------------------------------------------------


async def test_s3_ensure_ready_creates_the_bucket(s3: S3Server, s3_bucket: str) -> None:
    bucket = s3_bucket + "-new"
    store = _s3_store(s3, bucket)
    with pytest.raises(ObjectStoreError, match="does not exist"):
        await store.ping()
    try:
        await store.ensure_ready()
        await store.ensure_ready()  # idempotent
        await store.ping()
        assert s3.client().bucket_exists(bucket)
    finally:
        s3.client().remove_bucket(bucket)


@pytest.mark.parametrize(("access_key", "secret_key"), [("right", "wrong"), ("unknown", "x")])
async def test_s3_with_wrong_credentials_is_a_clear_error(
    s3: S3Server, s3_bucket: str, access_key: str, secret_key: str
) -> None:
    access = s3.access_key if access_key == "right" else "unknown-key"
    store = S3ObjectStore(
        s3.endpoint, access, secret_key, s3_bucket, secure=s3.secure, region=s3.region
    )
    with pytest.raises(ObjectStoreError, match=s3_bucket):
        await store.ensure_ready()
    with pytest.raises(ObjectStoreError):
        await store.ping()
    with pytest.raises(
        ObjectStoreError, match=r"SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied"
    ):
        await store.put_bytes(KEY, b"x", content_type="image/png")


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]  # bound but not listening: connections are refused


async def test_s3_unreachable_is_a_quick_clear_error(closed_port: int) -> None:
    store = S3ObjectStore(f"http://127.0.0.1:{closed_port}", "k", "s", "bucket")
    started = time.monotonic()
    with pytest.raises(ObjectStoreError, match="unreachable"):
        await store.ping()
    with pytest.raises(ObjectStoreError, match="unreachable"):
        await store.put_bytes(KEY, b"x", content_type="image/png")
    assert time.monotonic() - started < 10


# --- building a store from its URL ---------------------------------------------------


async def test_store_from_file_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = object_store_from_url(f"file://{tmp_path}/abs")
    assert isinstance(store, DirectoryObjectStore)
    assert store.root == tmp_path / "abs"
    monkeypatch.chdir(tmp_path)
    relative = object_store_from_url("file:.data/storage")
    assert isinstance(relative, DirectoryObjectStore)
    assert relative.root == tmp_path / ".data" / "storage"
    await relative.ensure_ready()
    await relative.put_bytes("a/b.txt", b"hi", content_type="text/plain")
    assert (tmp_path / ".data" / "storage" / "a" / "b.txt").read_bytes() == b"hi"


async def test_store_from_s3_url(s3: S3Server, s3_bucket: str) -> None:
    base = f"s3://{s3_bucket}?endpoint={s3.endpoint}&region={s3.region}"
    in_url = object_store_from_url(
        f"{base}&access_key={s3.access_key}&secret_key={s3.secret_key}"
        f"&public_endpoint={s3.endpoint}"
    )
    from_settings = object_store_from_url(base, access_key=s3.access_key, secret_key=s3.secret_key)
    for store in (in_url, from_settings):
        assert isinstance(store, S3ObjectStore)
        assert (store.bucket, store.endpoint) == (s3_bucket, s3.endpoint)
        await store.ping()
    await in_url.put_bytes(KEY, b"via url", content_type="text/plain")
    assert await read(from_settings, KEY) == b"via url"
    assert await in_url.presigned_get_url(KEY, expires_s=60) is not None
    assert await from_settings.presigned_get_url(KEY, expires_s=60) is None
    # keyword credentials win over the URL's
    overridden = object_store_from_url(
        f"{base}&access_key=wrong&secret_key=wrong",
        access_key=s3.access_key,
        secret_key=s3.secret_key,
    )
    await overridden.ping()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://example.com/bucket", "unsupported storage URL"),
        ("/plain/path", "unsupported storage URL"),
        ("", "unsupported storage URL"),
        ("file://otherhost/x", "names a host"),
        ("file:", "no path"),
        ("s3://bucket", "needs endpoint"),
        ("s3://?endpoint=http://h:9000", "not a valid S3 bucket name"),
        ("s3://Bad_Bucket?endpoint=http://h:9000", "not a valid S3 bucket name"),
        ("s3://bucket/path?endpoint=http://h:9000", "no path"),
        ("s3://bucket?endpoint=http://h:9000&acess_key=x", "unknown parameter 'acess_key'"),
        ("s3://bucket?endpoint=http://h:9000", "access key and a secret key"),
        ("s3://bucket?endpoint=ftp://h:9000&access_key=a&secret_key=b", "http"),
        ("s3://bucket?endpoint=http://h:9000/prefix&access_key=a&secret_key=b", "bare"),
    ],
)
def test_bad_storage_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        object_store_from_url(url)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bucket": "Not_Valid"}, "not a valid S3 bucket name"),
        ({"bucket": "ab"}, "not a valid S3 bucket name"),
        ({"endpoint": "http://h:9000", "secure": True}, "secure=True"),
        ({"endpoint": "h:9000/path"}, "bare"),
        ({"public_endpoint": "ftp://cdn"}, "public endpoint"),
    ],
)
def test_bad_s3_settings_are_refused(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"endpoint": "127.0.0.1:9000", "bucket": "bucket"} | kwargs
    with pytest.raises(ValueError, match=message):
        S3ObjectStore(access_key="k", secret_key="s", **args)


def test_secrets_are_not_echoed_in_url_errors() -> None:
    with pytest.raises(ValueError, match="needs endpoint") as caught:
        object_store_from_url("s3://bucket?secret_key=hunter2&access_key=a")
    assert "hunter2" not in str(caught.value)
