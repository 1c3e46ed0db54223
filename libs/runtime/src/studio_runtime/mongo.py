"""MongoDB connections through PyMongo's async API."""

from typing import Any

import structlog
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from studio_runtime.settings import MongoSettings

MongoClient = AsyncMongoClient[dict[str, Any]]

log = structlog.get_logger(__name__)


def create_mongo_client(settings: MongoSettings, *, app_name: str) -> MongoClient:
    """Lazy: no I/O until first use, so a service starts even while MongoDB is still coming up."""
    return AsyncMongoClient(
        settings.mongo_url,
        appname=app_name,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        tz_aware=True,
    )


async def ping_mongo(client: MongoClient) -> None:
    await client.admin.command("ping")


async def create_newest_first_index(
    collection: AsyncCollection[dict[str, Any]], *scope: str
) -> None:
    """An index serving "newest first within `scope`": (scope..., `_id` descending).

    nx-27017 (the embedded development server) accepts an index naming `_id` on an empty
    collection and then fails every insert, so there the index is on the scope alone and the
    `_id` sort runs over one scope's records."""
    fields = [(name, ASCENDING) for name in scope]
    if await _indexes_may_name_id(collection.database.client):
        fields.append(("_id", DESCENDING))
    else:
        log.warning(
            "index.degraded", collection=collection.name, wanted=[*scope, "_id"], built=list(scope)
        )
    await collection.create_index(fields)


async def _indexes_may_name_id(client: MongoClient) -> bool:
    info = await client.admin.command("buildInfo")
    return bool(info.get("process") != "nx_27017")
