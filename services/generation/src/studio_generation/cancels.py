"""Cancel requests, delivered at once to the worker that holds the job.

The API sets the record's `cancel_requested` flag first, then broadcasts the generation id as a
core NATS message (not stored). Every worker hears it; the one running that job wakes its
watcher, which confirms the flag in the database before stopping. A lost message costs only
speed: the watcher also reads the flag at every lease renewal (`STUDIO_HEARTBEAT_S`).
"""

import asyncio

import structlog
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from studio_contracts.subjects import GENERATION_CANCEL_REQUESTED, subject

log = structlog.get_logger(__name__)


class CancelBroadcaster:
    """The API's side: tell the workers."""

    def __init__(self, nc: NATS, *, prefix: str) -> None:
        self._nc = nc
        self._subject = subject(GENERATION_CANCEL_REQUESTED, prefix)

    async def announce(self, generation_id: str) -> None:
        try:
            await self._nc.publish(self._subject, generation_id.encode())
            await self._nc.flush(timeout=1)
        except Exception as exc:  # the worker still sees the flag at its next renewal
            log.warning("cancel.not_broadcast", generation_id=generation_id, error=str(exc))


class CancelSignals:
    """The worker's side: one event per job in flight, set when its cancel is announced."""

    def __init__(self, nc: NATS, *, prefix: str) -> None:
        self._nc = nc
        self._subject = subject(GENERATION_CANCEL_REQUESTED, prefix)
        self._jobs: dict[str, tuple[asyncio.Event, int]] = {}
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = await self._nc.subscribe(self._subject, cb=self._on_cancel)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    def watch(self, generation_id: str) -> asyncio.Event:
        """Start listening for `generation_id`; call before claiming the job, so that no
        announcement made after the claim can be missed. Pair with `forget`: a redelivery of
        a job this worker runs may be handled beside it."""
        event, holders = self._jobs.get(generation_id, (asyncio.Event(), 0))
        self._jobs[generation_id] = (event, holders + 1)
        return event

    def forget(self, generation_id: str) -> None:
        event, holders = self._jobs.get(generation_id, (asyncio.Event(), 1))
        if holders <= 1:
            self._jobs.pop(generation_id, None)
        else:
            self._jobs[generation_id] = (event, holders - 1)

    async def _on_cancel(self, message: Msg) -> None:
        held = self._jobs.get(message.data.decode(errors="replace"))
        if held is not None:
            held[0].set()
