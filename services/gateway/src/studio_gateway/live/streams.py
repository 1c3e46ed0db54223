"""Live events for browsers and scripts: the NATS streams, filtered per user, with resume.

Each gateway reads the generations, assets and projects streams from JetStream (ordered
consumers, from the streams' ends) and hands every event to the connections of the user it
belongs to. An event's SSE id is the position reached in all three streams, `g-a-p` (stream
sequence numbers), so any gateway instance can resume a client from its `Last-Event-ID`: it
replays what the client missed from the streams themselves (at most `replay_max` events per
stream; further behind, the client gets a `reset` event and should reload), then goes on live.
"""

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import nats.errors
import structlog
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, DeliverPolicy
from prometheus_client import Gauge
from studio_contracts.subjects import ASSETS_STREAM, GENERATIONS_STREAM, PROJECTS_STREAM
from studio_runtime.clock import now_ms
from studio_runtime.retrying import until_it_works

log = structlog.get_logger(__name__)

STREAMS = (GENERATIONS_STREAM, ASSETS_STREAM, PROJECTS_STREAM)
_POSITION = re.compile(r"^(\d{1,19})-(\d{1,19})-(\d{1,19})$")
_INTERNAL_FIELDS = ("object_key",)
_REPLAY_WAIT_S = 5.0
CONNECTIONS = Gauge("studio_sse_connections", "Clients connected to the live event stream")
BROKER_CHECK_S = 0.5


@dataclass(frozen=True)
class LiveEvent:
    stream: int
    seq: int
    name: str
    user_id: str
    project_id: str | None
    data: str


@dataclass(eq=False)
class Listener:
    user_id: str
    project_id: str | None
    positions: list[int]
    queue: asyncio.Queue[LiveEvent]
    overflowed: bool = False
    ended: bool = False
    """The broker went away, or the credential that opened the stream was revoked or expired:
    the stream ends, and the client reconnects (and is refused if its credential is gone)."""
    credential_id: str | None = None
    """The session or API token the stream was opened with (None in local mode)."""
    reset: bool = False
    backlog: list[LiveEvent] = field(default_factory=list)
    """Missed events, replayed from the streams; after them, `positions` moves to `caught_up`."""
    caught_up: list[int] = field(default_factory=list)

    def advance(self, event: LiveEvent) -> bool:
        """Move past `event`; False if it was already sent (replayed, then seen live)."""
        if event.seq <= self.positions[event.stream]:
            return False
        self.positions[event.stream] = event.seq
        return True

    def finish_replay(self) -> None:
        self.positions = [max(p, c) for p, c in zip(self.positions, self.caught_up, strict=True)]

    def wants(self, event: LiveEvent) -> bool:
        return event.user_id == self.user_id and (
            self.project_id is None or event.project_id == self.project_id
        )

    @property
    def last_event_id(self) -> str:
        return "-".join(str(p) for p in self.positions)


def _end(listener: Listener) -> None:
    if listener.ended:
        return
    listener.ended = True
    with contextlib.suppress(asyncio.QueueFull):  # full: it is not waiting
        listener.queue.put_nowait(_WAKE)


def parse_position(value: str | None) -> list[int] | None:
    match = _POSITION.match(value or "")
    return [int(g) for g in match.groups()] if match else None


class LiveEvents:
    def __init__(
        self,
        js: JetStreamContext,
        *,
        prefix: str,
        queue_max: int,
        replay_max: int,
        is_connected: Callable[[], bool] = lambda: True,
    ) -> None:
        self._js = js
        self._is_connected = is_connected
        self._streams = [spec.with_prefix(prefix) for spec in STREAMS]
        self._prefix = f"{prefix}." if prefix else ""
        self._queue_max = queue_max
        self._replay_max = replay_max
        self.positions = [0, 0, 0]
        self._listeners: dict[str, set[Listener]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._subscriptions: list[Any] = []
        self._following = [False, False, False]
        self._connections: dict[str, int] = {}

    def reserve(self, user_id: str, most: int) -> bool:
        """Count one more open stream for `user_id`, unless `most` are open (0 = no limit).
        Counted when the request is accepted, not when its stream starts, so a burst of
        connections cannot all pass before any is registered."""
        open_now = self._connections.get(user_id, 0)
        if 0 < most <= open_now:
            return False
        self._connections[user_id] = open_now + 1
        return True

    def release(self, user_id: str) -> None:
        left = self._connections.get(user_id, 0) - 1
        if left > 0:
            self._connections[user_id] = left
        else:
            self._connections.pop(user_id, None)

    @property
    def connected(self) -> bool:
        """Whether events can flow: without the broker, a stream would say `ready` and then
        stay silent while the studio believed itself live."""
        return self._is_connected()

    def start(self) -> None:
        for index in range(len(self._streams)):
            self._tasks.append(asyncio.create_task(self._follow(index)))
        self._tasks.append(asyncio.create_task(self._watch_broker()))

    async def _watch_broker(self) -> None:
        """End every open stream when the broker goes away: clients then reconnect, are told
        503 until it is back (the studio says it is offline), and resume with Last-Event-ID."""
        while True:
            await asyncio.sleep(BROKER_CHECK_S)
            if not self._is_connected():
                self._end_all()

    def _end_all(self) -> None:
        for listeners in self._listeners.values():
            for listener in listeners:
                _end(listener)

    def end_credential(self, credential_id: str) -> None:
        """End the streams opened with a session or API token that was just revoked: checked
        once when a stream opens, it would otherwise go on carrying the user's events (their
        prompts among them) to whoever holds the revoked credential, for as long as they
        stay connected."""
        for listeners in self._listeners.values():
            for listener in listeners:
                if listener.credential_id == credential_id:
                    _end(listener)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for subscription in self._subscriptions:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    async def ready(self) -> None:
        if not all(self._following):
            raise RuntimeError("not yet following every event stream")

    async def _follow(self, index: int) -> None:
        """Subscribe from the stream's end, retrying until it works: services start together,
        so the stream's owner may not have declared it yet, or NATS may be reconnecting."""
        spec = self._streams[index]

        async def subscribe_from_end() -> tuple[int, Any]:
            info = await self._js.stream_info(spec.name)
            last_seq = info.state.last_seq
            return last_seq, await self._subscribe(index, last_seq + 1, live=True)

        last_seq, subscription = await until_it_works(
            subscribe_from_end, what="live.follow", wait_initial_s=0.05, wait_max_s=1.0
        )
        # Live events may have arrived already; the position never goes back.
        self.positions[index] = max(self.positions[index], last_seq)
        self._subscriptions.append(subscription)
        self._following[index] = True
        log.info("live.following", stream=spec.name, from_seq=last_seq + 1)

    async def _subscribe(self, index: int, start: int, *, live: bool) -> Any:
        spec = self._streams[index]

        async def on_message(message: Any) -> None:
            self._dispatch(self._event(index, message))

        # Every subject of the stream (PROJECTS holds `project.>` and `template.>`), not only
        # the first: `filter_subjects` takes the place of the subject argument's filter.
        return await self._js.subscribe(
            spec.subjects[0],
            stream=spec.name,
            ordered_consumer=True,
            idle_heartbeat=5.0,
            config=ConsumerConfig(
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=max(start, 1),
                filter_subjects=list(spec.subjects),
            ),
            cb=on_message if live else None,
        )

    def _event(self, index: int, message: Any) -> LiveEvent:
        seq = message.metadata.sequence.stream
        try:
            payload = json.loads(message.data)
            user_id = str(payload["user_id"])
        except (ValueError, KeyError, TypeError):
            return LiveEvent(index, seq, "", "", None, "")  # unreadable: nobody's, skipped
        for output in payload.get("outputs") or ():
            for name in _INTERNAL_FIELDS:
                output.pop(name, None)
        return LiveEvent(
            stream=index,
            seq=seq,
            name=message.subject.removeprefix(self._prefix),
            user_id=user_id,
            project_id=payload.get("project_id"),
            data=json.dumps(payload, separators=(",", ":")),
        )

    def _dispatch(self, event: LiveEvent) -> None:
        self.positions[event.stream] = max(self.positions[event.stream], event.seq)
        for listener in self._listeners.get(event.user_id, ()):
            if not listener.wants(event):
                continue
            try:
                listener.queue.put_nowait(event)
            except asyncio.QueueFull:
                listener.overflowed = True

    @contextlib.asynccontextmanager
    async def listen(
        self,
        user_id: str,
        project_id: str | None,
        last_event_id: str | None,
        credential_id: str | None = None,
        expires_ms: int | None = None,
    ) -> AsyncIterator[Listener]:
        """A listener registered before anything is replayed, so nothing falls between the
        replay and the live events; the replay is in `listener.backlog`. It ends at
        `expires_ms` (epoch ms), when the credential that opened it does: checked once when
        the stream opens, an expired session would otherwise go on receiving events for as
        long as the connection stays open."""
        now = list(self.positions)
        wanted = parse_position(last_event_id)
        listener = Listener(
            user_id=user_id,
            project_id=project_id,
            positions=list(wanted or now),
            queue=asyncio.Queue(self._queue_max),
            caught_up=now,
            credential_id=credential_id,
        )
        self._listeners.setdefault(user_id, set()).add(listener)
        expiry = None
        if expires_ms is not None:
            expiry = asyncio.get_running_loop().call_later(
                max(0.0, (expires_ms - now_ms()) / 1000), _end, listener
            )
        CONNECTIONS.inc()
        try:
            if last_event_id is not None and wanted is None:
                listener.reset, listener.positions = True, now
            elif wanted is not None:
                await self._replay(listener, wanted, now)
            yield listener
        finally:
            if expiry is not None:
                expiry.cancel()
            CONNECTIONS.dec()
            listeners = self._listeners.get(user_id)
            if listeners is not None:
                listeners.discard(listener)
                if not listeners:
                    del self._listeners[user_id]

    async def _replay(self, listener: Listener, wanted: list[int], now: list[int]) -> None:
        if any(w > n for w, n in zip(wanted, now, strict=True)) or any(
            n - w > self._replay_max for w, n in zip(wanted, now, strict=True)
        ):
            # From another installation, or too far behind: start over from now.
            listener.reset, listener.positions = True, now
            return
        for index, (start, end) in enumerate(zip(wanted, now, strict=True)):
            if start >= end:
                continue
            events = await self._read(index, start + 1, end)
            if events is None:
                listener.reset, listener.positions = True, now
                listener.backlog.clear()
                return
            listener.backlog.extend(e for e in events if listener.wants(e))

    async def _read(self, index: int, first: int, last: int) -> list[LiveEvent] | None:
        """Events `first..last` of one stream; None if some are gone (too old)."""
        info = await self._js.stream_info(self._streams[index].name)
        if info.state.first_seq > first:
            return None
        subscription = await self._subscribe(index, first, live=False)
        events: list[LiveEvent] = []
        try:
            while True:
                try:
                    message = await subscription.next_msg(timeout=_REPLAY_WAIT_S)
                except nats.errors.TimeoutError:
                    return None  # a hole in the stream: start the client over
                event = self._event(index, message)
                if event.seq <= last:
                    events.append(event)
                if event.seq >= last:
                    return events
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()


_WAKE = LiveEvent(stream=0, seq=0, name="", user_id="", project_id=None, data="")
"""Put in a listener's queue to wake its stream; never sent (a stream checks `ended` first)."""
