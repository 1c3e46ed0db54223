"""Reading the gateway's live events the way a browser's EventSource does."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_sse import ServerSentEvent, aconnect_sse

from tests.support.waiting import eventually

_RECONNECT_S = 0.5
"""How long a reconnecting reader waits before opening the stream again (a browser waits the
stream's `retry`, 3 s; shorter here, so that a test does not wait for nothing)."""


class EventLog:
    def __init__(self) -> None:
        self.events: list[ServerSentEvent] = []
        self.status: int | None = None
        self.ended = False
        """The server ended the stream (a browser would reconnect)."""
        self.reconnects = 0

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
    reconnect: bool = False,
) -> AsyncIterator[EventLog]:
    """Connected to `/api/v1/events` as `client`'s user; yields once the first event (`ready` or
    `reset`) has arrived, and disconnects on exit. With `reconnect`, a stream the server ends
    (or refuses, as while the broker is away) is opened again from the last event id, as a
    browser's EventSource does, and `log.reconnects` counts how often."""
    log = EventLog()

    async def connect(since: str | None) -> None:
        headers = {"Last-Event-ID": since} if since else {}
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
                # Heartbeats (`ping`) are not events of the studio; and by the SSE standard (and
                # in browsers) a block without data is no event.
                if event.event != "ping" and (event.data or event.event != "message"):
                    log.events.append(event)
            log.ended = True

    async def read() -> None:
        await connect(last_event_id)
        while reconnect:
            await asyncio.sleep(_RECONNECT_S)
            since = next((e.id for e in reversed(log.events) if e.id), last_event_id)
            log.reconnects += 1
            with contextlib.suppress(httpx.HTTPError):
                await connect(since)

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
