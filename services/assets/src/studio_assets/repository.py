"""Asset records in MongoDB, read and written as `AssetRecord`s. Every query from the API is
scoped by owner: another user's id finds nothing.

Times are stored as integer milliseconds (`created_ms`, `studio_runtime.clock`), as everywhere
else. Records written before that hold a `created_at` date instead; they are converted when
read rather than migrated at start-up: a migration would need the database before the service
may start, and would miss the records an older replica still writes during a rolling update.
"""

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from studio_contracts.assets import Asset, AssetKind, AssetUpdate
from studio_contracts.enums import MediaType
from studio_runtime.clock import from_ms, to_ms
from studio_runtime.grouped import GroupedInserts
from studio_runtime.newest_first import SORT_ID, ensure_newest_first, with_sort_id
from studio_runtime.pagination import cursor_filter

Doc = dict[str, Any]
ASSETS = "assets"


class AssetRecord(BaseModel):
    """One stored asset: what its owner sees (`public()`) and where its bytes are."""

    model_config = ConfigDict(frozen=True, validate_by_name=True, validate_by_alias=True)

    id: str = Field(alias="_id")
    owner: str
    project_id: str
    kind: AssetKind
    media_type: MediaType
    content_type: str
    size: int
    sha256: str
    name: str
    object_key: str
    dedup_key: str
    """`upload:{asset}` or `output:{generation}:{index}`: one record each (a unique index)."""
    created_ms: int
    thumbnail_key: str | None = None
    """The object key of its thumbnail; a small image's own key when it is its own."""
    original_filename: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    codec: str | None = None
    """FFmpeg's name for a video's or audio file's codec (uploads, and outputs that came
    without a duration; `probe.py`)."""
    waveform: list[int] | None = None
    """A sound's peaks (`waveforms.py`)."""
    generation_id: str | None = None
    output_index: int | None = None
    prompt: str | None = None
    tags: list[str] = Field(default_factory=list)
    favorite: bool = False

    @model_validator(mode="before")
    @classmethod
    def _created_at_of_older_records(cls, data: Any) -> Any:
        if isinstance(data, dict) and "created_ms" not in data:
            created_at = data.get("created_at")
            if isinstance(created_at, datetime):
                return {**data, "created_ms": to_ms(created_at)}
        return data

    def public(self) -> Asset:
        return Asset(
            id=self.id,
            project_id=self.project_id,
            kind=self.kind,
            media_type=self.media_type,
            content_type=self.content_type,
            size=self.size,
            sha256=self.sha256,
            name=self.name,
            original_filename=self.original_filename,
            width=self.width,
            height=self.height,
            duration=self.duration,
            waveform=self.waveform,
            generation_id=self.generation_id,
            output_index=self.output_index,
            prompt=self.prompt,
            tags=self.tags,
            favorite=self.favorite,
            created_at=from_ms(self.created_ms),
            content_url=f"/api/v1/assets/{self.id}/content",
            thumbnail_url=f"/api/v1/assets/{self.id}/thumbnail" if self.thumbnail_key else None,
        )

    def document(self) -> Doc:
        # Absent rather than null: the embedded MongoDB-wire server treats null as missing.
        return with_sort_id(self.model_dump(mode="json", by_alias=True, exclude_none=True))


class AssetRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._assets: AsyncCollection[Doc] = db[ASSETS]
        # Every output is registered once: the outputs registered at the same time are
        # stored in one command.
        self._inserts = GroupedInserts(self._assets)

    async def ensure_indexes(self) -> None:
        await ensure_newest_first(self._assets, ("owner",), ("owner", "project_id"))
        # One record per upload and per (generation, output index): a repeated registration
        # finds its outputs already there.
        await self._assets.create_index("dedup_key", unique=True)
        await self._assets.create_index("unannounced")

    async def insert(self, record: AssetRecord) -> tuple[AssetRecord, bool]:
        """(the stored record, True) or, when its dedup key exists, (the existing one, False)."""
        if await self._inserts.insert(record.document()):
            return record, True
        existing = await self.find_by_dedup_key(record.dedup_key)
        if existing is None:  # the record it collided with is gone again
            raise DuplicateKeyError(f"asset {record.id} collided with a record deleted since")
        return existing, False

    async def get(self, owner: str, asset_id: str) -> AssetRecord | None:
        return _record(await self._assets.find_one({"_id": asset_id, "owner": owner}))

    async def find_by_dedup_key(self, dedup_key: str) -> AssetRecord | None:
        return _record(await self._assets.find_one({"dedup_key": dedup_key}))

    async def find_page(
        self,
        owner: str,
        *,
        project_id: str | None = None,
        media_type: MediaType | None = None,
        kind: AssetKind | None = None,
        favorite: bool | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> list[AssetRecord]:
        """Newest first; up to `limit + 1` records so the caller can tell whether more follow."""
        query: Doc = {"owner": owner, **cursor_filter(cursor)}
        if project_id is not None:
            query["project_id"] = project_id
        if media_type is not None:
            query["media_type"] = media_type.value
        if kind is not None:
            query["kind"] = kind.value
        if favorite is not None:
            query["favorite"] = favorite
        if q:
            pattern = {"$regex": re.escape(q), "$options": "i"}
            query["$or"] = [
                {"name": pattern},
                {"original_filename": pattern},
                # A list is matched element by element: nx-27017 applies a bare `$regex` on a
                # list to its JSON text, so `[`, `]`, `"` or `,` matched every tagged record.
                {"tags": {"$elemMatch": pattern}},
                {"prompt": pattern},
            ]
        found = self._assets.find(query).sort(SORT_ID, DESCENDING).limit(limit + 1)
        return [AssetRecord.model_validate(doc) async for doc in found]

    async def update(self, owner: str, asset_id: str, changes: AssetUpdate) -> AssetRecord | None:
        return _record(
            await self._assets.find_one_and_update(
                {"_id": asset_id, "owner": owner},
                {"$set": changes.model_dump(exclude_none=True)},
                return_document=ReturnDocument.AFTER,
            )
        )

    async def delete(self, owner: str, asset_id: str) -> AssetRecord | None:
        return _record(await self._assets.find_one_and_delete({"_id": asset_id, "owner": owner}))

    async def mark_unannounced(self, asset_id: str) -> None:
        """Remember that `asset.created` could not be published; the announcer retries it."""
        await self._assets.update_one({"_id": asset_id}, {"$set": {"unannounced": True}})

    async def mark_announced(self, asset_id: str) -> None:
        await self._assets.update_one({"_id": asset_id}, {"$unset": {"unannounced": ""}})

    async def unannounced(self, limit: int = 200) -> list[AssetRecord]:
        found = self._assets.find({"unannounced": True}).limit(limit)
        return [AssetRecord.model_validate(doc) async for doc in found]

    async def delete_by_id(self, asset_id: str) -> None:
        await self._assets.delete_one({"_id": asset_id})

    async def of_project(
        self, owner: str, project_id: str, *, limit: int = 500
    ) -> list[AssetRecord]:
        found = self._assets.find({"owner": owner, "project_id": project_id}).limit(limit)
        return [AssetRecord.model_validate(doc) async for doc in found]


def _record(doc: Doc | None) -> AssetRecord | None:
    return None if doc is None else AssetRecord.model_validate(doc)
