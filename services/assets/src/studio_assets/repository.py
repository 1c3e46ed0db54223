"""Asset records in MongoDB. Every query is scoped by owner: another user's id finds nothing."""

import re
from typing import Any

from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from studio_runtime.mongo import create_newest_first_index
from studio_runtime.pagination import cursor_filter

AssetDoc = dict[str, Any]


class AssetRepository:
    def __init__(self, db: AsyncDatabase[AssetDoc]) -> None:
        self._assets: AsyncCollection[AssetDoc] = db["assets"]

    async def ensure_indexes(self) -> None:
        await create_newest_first_index(self._assets, "owner")
        await create_newest_first_index(self._assets, "owner", "project_id")
        # One record per upload and per (generation, output index): a redelivered
        # generation.completed finds its outputs already registered.
        await self._assets.create_index("dedup_key", unique=True)
        await self._assets.create_index("unannounced")

    async def insert(self, doc: AssetDoc) -> tuple[AssetDoc, bool]:
        """(the stored record, True) or, when its dedup key exists, (the existing one, False)."""
        try:
            await self._assets.insert_one(doc)
        except DuplicateKeyError:
            existing = await self._assets.find_one({"dedup_key": doc["dedup_key"]})
            if existing is None:
                raise
            return existing, False
        return doc, True

    async def get(self, owner: str, asset_id: str) -> AssetDoc | None:
        return await self._assets.find_one({"_id": asset_id, "owner": owner})

    async def find_by_dedup_key(self, dedup_key: str) -> AssetDoc | None:
        return await self._assets.find_one({"dedup_key": dedup_key})

    async def find_page(
        self,
        owner: str,
        *,
        project_id: str | None = None,
        media_type: str | None = None,
        kind: str | None = None,
        favorite: bool | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> list[AssetDoc]:
        """Newest first; up to `limit + 1` records so the caller can tell whether more follow."""
        query: dict[str, Any] = {"owner": owner, **cursor_filter(cursor)}
        if project_id is not None:
            query["project_id"] = project_id
        if media_type is not None:
            query["media_type"] = media_type
        if kind is not None:
            query["kind"] = kind
        if favorite is not None:
            query["favorite"] = favorite
        if q:
            pattern = {"$regex": re.escape(q), "$options": "i"}
            query["$or"] = [
                {"name": pattern},
                {"original_filename": pattern},
                {"tags": pattern},
                {"prompt": pattern},
            ]
        found = self._assets.find(query).sort("_id", DESCENDING).limit(limit + 1)
        return [doc async for doc in found]

    async def update(self, owner: str, asset_id: str, changes: dict[str, Any]) -> AssetDoc | None:
        return await self._assets.find_one_and_update(
            {"_id": asset_id, "owner": owner},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )

    async def delete(self, owner: str, asset_id: str) -> AssetDoc | None:
        return await self._assets.find_one_and_delete({"_id": asset_id, "owner": owner})

    async def mark_unannounced(self, asset_id: str) -> None:
        """Remember that `asset.created` could not be published; the announcer retries it."""
        await self._assets.update_one({"_id": asset_id}, {"$set": {"unannounced": True}})

    async def mark_announced(self, asset_id: str) -> None:
        await self._assets.update_one({"_id": asset_id}, {"$unset": {"unannounced": ""}})

    async def unannounced(self, limit: int = 200) -> list[AssetDoc]:
        found = self._assets.find({"unannounced": True}).limit(limit)
        return [doc async for doc in found]

    async def delete_by_id(self, asset_id: str) -> None:
        await self._assets.delete_one({"_id": asset_id})

    async def of_project(self, owner: str, project_id: str, *, limit: int = 500) -> list[AssetDoc]:
        found = self._assets.find({"owner": owner, "project_id": project_id}).limit(limit)
        return [doc async for doc in found]
