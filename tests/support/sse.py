"""Reading the gateway's live events the way a browser's EventSource does."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse

from tests.support.waiting import eventually


class EventLog:
    def __init__(self) -> None:
        self.events: list[ServerSentEvent] = []
        self.status: int | None = None
        self.ended = False
        """The server ended the stream (a browser would reconnect)."""

    def named(self, *names: str) -> list[ServerSentEvent]:
        return [e for e in self.events if e.event in names]

    def of(self, key: str, value: str) -> list[ServerSentEvent]:
        return [e for e in self.events if e.data.startswith("{") and e.json().get(key) == value]

    async def wait_for(
        self, found: Callable[[ServerSentEvent], bool], within: float = 30
    ) -> ServerSentEvent:
        await eventually(lambda: any(found(e) for e in self.events), within=within)
        return next(e for e in self.events if found(e))


@asynccontextmanager
async def listening(
    client: httpx.AsyncClient,
    *,
    params: dict[str, str] | None = None,
    last_event_id: str | None = None,
) -> AsyncIterator[EventLog]:
    """Connected to `/api/v1/events` as `client`'s user; yields once the first event (`ready` or
    `reset`) has arrived, and disconnects on exit."""
    log = EventLog()
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}

    async def read() -> None:
        async with aconnect_sse(
            client,
            "GET",
            "/api/v1/events",
            params=params,
            headers=headers,
            timeout=httpx.Timeout(10, read=None),
        ) as source:
            log.status = source.response.status_code
            if source.response.status_code != 200:
                return
            async for event in source.aiter_sse():
                # httpx-sse hands out a heartbeat comment as an empty "message"; by the SSE
                # standard (and in browsers) a block without data is no event.
                if event.data or event.event != "message":
                    log.events.append(event)
            log.ended = True

    task = asyncio.create_task(read())
    try:
        await eventually(lambda: bool(log.events) or task.done(), within=15)
        if task.done():
            task.result()
        yield log
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def positions(event: ServerSentEvent) -> list[int]:
    return [int(p) for p in event.id.split("-")]


def payload(event: ServerSentEvent) -> dict[str, Any]:
    data: dict[str, Any] = event.json()
    return data
