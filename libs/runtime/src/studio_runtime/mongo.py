"""MongoDB connections through PyMongo's async API."""

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter
from pymongo import AsyncMongoClient, monitoring
from pymongo.errors import ConnectionFailure

from studio_runtime.errors import problem_response
from studio_runtime.settings import MongoSettings

MongoClient = AsyncMongoClient[dict[str, Any]]

log = structlog.get_logger(__name__)

COMMANDS = Counter("studio_mongo_commands_total", "MongoDB commands sent", ["command"])
"""Database round trips by command: the figure that explains a service's cost per request."""


class _CommandCounter(monitoring.CommandListener):
    def started(self, event: monitoring.CommandStartedEvent) -> None:
        COMMANDS.labels(event.command_name).inc()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def create_mongo_client(settings: MongoSettings, *, app_name: str) -> MongoClient:
    """Lazy: no I/O until first use, so a service starts even while MongoDB is still coming up."""
    return AsyncMongoClient(
        settings.mongo_url,
        appname=app_name,
        serverSelectionTimeoutMS=settings.mongo_timeout_ms,
        tz_aware=True,
        event_listeners=[_CommandCounter()],
    )


def install_database_error_handler(app: FastAPI) -> None:
    """A database that cannot be reached answers 503 with Retry-After, not a 500. Here rather
    than with the other handlers so that services without a database never import PyMongo."""
    app.add_exception_handler(ConnectionFailure, _on_database_unavailable)  # type: ignore[arg-type]


async def _on_database_unavailable(request: Request, exc: ConnectionFailure) -> JSONResponse:
    log.warning("database.unavailable", path=request.url.path, error=str(exc)[:300])
    return problem_response(
        503,
        "The database is unavailable; try again shortly.",
        code="service-unavailable",
        headers={"Retry-After": "5"},
    )


async def ping_mongo(client: MongoClient) -> None:
    await client.admin.command("ping")
