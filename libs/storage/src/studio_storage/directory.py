"""The directory backend: each object a file under a root directory, for development and
single-node installs.

A put writes to a temp file beside the target and renames it into place only when complete,
so readers see the old object or the new one, never a partial one; on failure or
cancellation the temp file is removed. The content type and etag (hex MD5 of the content,
like a single-part S3 ETag) live in a JSON sidecar, `<file>~meta.json`. Temp files and
sidecars contain `~`, which no valid key does, so they can never collide with an object.

The data file is renamed before its sidecar, so for a moment a concurrent `stat` of an
overwritten key can pair the new bytes with the old sidecar. Keys here are written once (or
rewritten with the same content), so this store does not lock to close that gap.

All file I/O runs in worker threads, in chunks, never on the event loop.
"""

import hashlib
import json
import os
import stat
import uuid
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
from typing import BinaryIO

import anyio
import anyio.to_thread

from studio_storage.base import ObjectInfo, ObjectNotFound, ObjectStoreError
from studio_storage.common import (
    ThreadedByteStream,
    check_range,
    run_sync_to_end,
    validate_key,
)

WRITE_CHUNK = 1024 * 1024
"""Chunks are gathered up to this size before a (thread-hopping) write."""
READ_CHUNK = 256 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"
META_SUFFIX = "~meta.json"
TEMP_SUFFIX = "~tmp"


class DirectoryObjectStore:
    """Objects as files under `root` (made absolute once, so a later chdir cannot move it)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).absolute()

    def __repr__(self) -> str:
        return f"DirectoryObjectStore({str(self.root)!r})"

    async def ensure_ready(self) -> None:
        await run_sync_to_end(self._make_root)

    def _make_root(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ObjectStoreError(f"cannot create storage directory {self.root}: {exc}") from exc

    async def ping(self) -> None:
        if not await anyio.to_thread.run_sync(self._usable, abandon_on_cancel=True):
            raise ObjectStoreError(f"storage directory {self.root} is missing or not writable")

    def _usable(self) -> bool:
        return self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)

    # --- writing ---------------------------------------------------------------------

    async def put(self, key: str, chunks: AsyncIterator[bytes], *, content_type: str) -> ObjectInfo:
        path = self._path(key)
        content_type = content_type or DEFAULT_CONTENT_TYPE
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
        writer = _Writer(temp, key)
        try:
            await run_sync_to_end(writer.open)
            pending = bytearray()
            async for chunk in chunks:
                pending += chunk
                if len(pending) >= WRITE_CHUNK:
                    data, pending = pending, bytearray()
                    await run_sync_to_end(partial(writer.write, data))
            etag, size = await run_sync_to_end(lambda: writer.commit(pending, path, content_type))
        except BaseException:
            # Also after a commit that finished under a cancellation: then the temp files are
            # already renamed away and this removes nothing.
            with anyio.CancelScope(shield=True):
                await run_sync_to_end(writer.discard)
            raise
        return ObjectInfo(key=key, size=size, etag=etag, content_type=content_type)

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> ObjectInfo:
        # The whole object is here: open, write and commit in one trip to a worker thread (a
        # hand-off costs more CPU than writing a thumbnail-sized file).
        path = self._path(key)
        content_type = content_type or DEFAULT_CONTENT_TYPE
        temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}")
        writer = _Writer(temp, key)

        def store() -> tuple[str, int]:
            try:
                writer.open()
                return writer.commit(data, path, content_type)
            except BaseException:
                writer.discard()
                raise

        etag, size = await run_sync_to_end(store)
        return ObjectInfo(key=key, size=size, etag=etag, content_type=content_type)

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await run_sync_to_end(lambda: _delete(path, key))

    # --- reading ---------------------------------------------------------------------

    async def get(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """Python-slice semantics: `data[offset:offset + length]`, empty past the end."""
        path = self._path(key)
        check_range(offset, length)
        file = await run_sync_to_end(lambda: _open_at(path, key, offset))
        return ThreadedByteStream(
            file.read, lambda _exhausted: file.close(), limit=length, chunk_size=READ_CHUNK
        )

    async def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        return await run_sync_to_end(lambda: _stat(path, key))

    async def presigned_get_url(
        self, key: str, *, expires_s: int, response_content_disposition: str | None = None
    ) -> str | None:
        """Always None: there is no server a browser could fetch a file from."""
        self._path(key)
        return None

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))


class _Writer:
    """A temp file being filled, hashed as it goes; committed by renaming it into place."""

    def __init__(self, temp: Path, key: str) -> None:
        self._temp = temp
        self._key = key
        self._file: BinaryIO | None = None
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._size = 0
        self._meta_temp: Path | None = None

    def open(self) -> None:
        try:
            self._temp.parent.mkdir(parents=True, exist_ok=True)
            self._file = self._temp.open("xb")
        except OSError as exc:
            raise ObjectStoreError(f"cannot store {self._key!r}: {exc}") from exc

    def write(self, data: bytes | bytearray) -> None:
        assert self._file is not None, "open() first"
        try:
            self._file.write(data)
        except OSError as exc:
            raise ObjectStoreError(f"cannot store {self._key!r}: {exc}") from exc
        self._md5.update(data)
        self._size += len(data)

    def commit(self, data: bytes | bytearray, path: Path, content_type: str) -> tuple[str, int]:
        """Write the rest, make it durable, then swap the file and its sidecar into place."""
        self.write(data)
        assert self._file is not None
        etag = self._md5.hexdigest()
        meta = {"content_type": content_type, "etag": etag, "size": self._size}
        self._meta_temp = self._temp.with_name(self._temp.name + META_SUFFIX)
        try:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._meta_temp.write_text(json.dumps(meta), encoding="utf-8")
            self._temp.replace(path)
            self._meta_temp.replace(_meta_path(path))
        except OSError as exc:
            raise ObjectStoreError(f"cannot store {self._key!r}: {exc}") from exc
        return etag, self._size

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
        for leftover in (self._temp, self._meta_temp):
            if leftover is not None:
                leftover.unlink(missing_ok=True)


def _meta_path(path: Path) -> Path:
    return path.with_name(path.name + META_SUFFIX)


def _open_at(path: Path, key: str, offset: int) -> BinaryIO:
    try:
        file = path.open("rb")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise ObjectNotFound(f"no object {key!r}") from exc
    except OSError as exc:
        raise ObjectStoreError(f"cannot read {key!r}: {exc}") from exc
    file.seek(offset)
    return file


def _stat(path: Path, key: str) -> ObjectInfo:
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ObjectNotFound(f"no object {key!r}") from exc
    except OSError as exc:
        raise ObjectStoreError(f"cannot stat {key!r}: {exc}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ObjectNotFound(f"no object {key!r}")  # a "folder" holding other keys
    size = info.st_size
    try:
        meta = json.loads(_meta_path(path).read_text(encoding="utf-8"))
        return ObjectInfo(
            key=key, size=size, etag=str(meta["etag"]), content_type=str(meta["content_type"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        # No usable sidecar (a file put there by hand, say): the etag is still the content's.
        return ObjectInfo(key=key, size=size, etag=_md5_of(path), content_type=DEFAULT_CONTENT_TYPE)


def _md5_of(path: Path) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as file:
        while block := file.read(READ_CHUNK):
            md5.update(block)
    return md5.hexdigest()


def _delete(path: Path, key: str) -> None:
    try:
        path.unlink(missing_ok=True)
        _meta_path(path).unlink(missing_ok=True)
    except (IsADirectoryError, NotADirectoryError):
        return  # a "folder" of other keys, or below a file: no object under this key
    except OSError as exc:
        raise ObjectStoreError(f"cannot delete {key!r}: {exc}") from exc
