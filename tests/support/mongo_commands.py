"""Which commands a MongoDB client sent: pass a `CommandLog` in `event_listeners`, or open a
database through `logged_database`."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase


class CommandLog(monitoring.CommandListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def count(self, *names: str) -> int:
        """How many of the commands sent so far are one of `names`."""
        return sum(name in names for name in self.names)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@asynccontextmanager
async def logged_database(
    url: str, name: str
) -> AsyncIterator[tuple[AsyncDatabase[dict[str, Any]], CommandLog]]:
    """Database `name` through a client of its own that records every command it sends."""
    commands = CommandLog()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(url, event_listeners=[commands])
    try:
        yield client[name], commands
    finally:
        await client.close()
