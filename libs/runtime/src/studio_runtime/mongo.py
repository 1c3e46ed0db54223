"""MongoDB connections through PyMongo's async API."""

from typing import Any

from pymongo import AsyncMongoClient

from studio_runtime.settings import MongoSettings

MongoClient = AsyncMongoClient[dict[str, Any]]


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
