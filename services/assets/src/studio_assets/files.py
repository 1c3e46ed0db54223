"""An asset's bytes as a download needs them: the file itself or its thumbnail, where it is,
how large, and a presigned URL or a byte range of it from storage."""

from collections.abc import AsyncIterator
from dataclasses import dataclass

from studio_runtime.errors import NotFound, not_yours
from studio_storage import ObjectNotFound, ObjectStore

from studio_assets.repository import AssetRecord, AssetRepository


@dataclass(frozen=True)
class StoredFile:
    """The object an asset's bytes (or its thumbnail's) are in, and what a download says of it."""

    key: str
    name: str
    content_type: str
    size: int
    digest: str
    """Changes whenever the bytes do: the ETag is made from it."""


class AssetFiles:
    def __init__(
        self, repository: AssetRepository, store: ObjectStore, *, presign_expiry_s: int
    ) -> None:
        self._repository = repository
        self._store = store
        self._presign_expiry_s = presign_expiry_s

    async def content(self, owner: str, asset_id: str) -> StoredFile:
        return _content_of(await self._owned(owner, asset_id))

    async def thumbnail(self, owner: str, asset_id: str) -> StoredFile:
        record = await self._owned(owner, asset_id)
        key = record.thumbnail_key
        if not key:
            raise _no_thumbnail(asset_id)
        if key == record.object_key:  # a small image is its own thumbnail
            return _content_of(record)
        try:
            info = await self._store.stat(key)
        except ObjectNotFound as exc:
            raise _no_thumbnail(asset_id) from exc
        return StoredFile(key, record.name, "image/webp", info.size, record.sha256 + "t")

    async def presigned_url(self, file: StoredFile, *, disposition: str) -> str | None:
        """A URL the storage serves the file at itself, if it can (S3 with a public endpoint)."""
        return await self._store.presigned_get_url(
            file.key,
            expires_s=self._presign_expiry_s,
            response_content_disposition=disposition,
        )

    async def read(self, file: StoredFile, *, offset: int, length: int) -> AsyncIterator[bytes]:
        try:
            return await self._store.get(file.key, offset=offset, length=length)
        except ObjectNotFound as exc:
            raise NotFound(
                "This asset's file is missing from storage; delete the asset, or upload it again."
            ) from exc

    async def _owned(self, owner: str, asset_id: str) -> AssetRecord:
        record = await self._repository.get(owner, asset_id)
        if record is None:
            raise not_yours("asset", asset_id)
        return record


def _no_thumbnail(asset_id: str) -> NotFound:
    return NotFound(f"Asset {asset_id} has no thumbnail; its file is at its content URL.")


def _content_of(record: AssetRecord) -> StoredFile:
    return StoredFile(
        record.object_key, record.name, record.content_type, record.size, record.sha256
    )
