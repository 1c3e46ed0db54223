"""Publishing events to JetStream and consuming them with durable pull consumers.

Publishing sets `Nats-Msg-Id` to the event id, so the stream's duplicate window swallows a
double publish. Consuming is at-least-once with explicit acks: a handler that raises gets a NAK
with a growing delay (a transient failure is retried, never dropped); a payload that cannot be
parsed is terminated and logged, since no retry can fix it; the last allowed delivery that still
fails is logged as dropped, so nothing disappears silently.
"""

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoRespondersError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import trace
from prometheus_client import Gauge
from pydantic import ValidationError
from studio_contracts.events import Event
from studio_contracts.subjects import StreamSpec, subject

from studio_runtime import tracing
from studio_runtime.retrying import until_it_works

E = TypeVar("E", bound=Event)

log = structlog.get_logger(__name__)

_DELIVERY = ContextVar("delivery", default=1)

_BIND_RETRIES = (NotFoundError, TimeoutError, ConnectionClosedError, NoRespondersError)
"""What passes: the stream's owner has not declared it yet (services start in any order), or the
connection is down for a moment. Anything else (a refused configuration) stops the consumer."""


def is_redelivery() -> bool:
    """Inside a handler: whether JetStream delivered this message before (an earlier attempt
    may have done part of the work). Each message is handled in its own task and context."""
    return _DELIVERY.get() > 1


@contextlib.contextmanager
def delivery(attempt: int) -> Iterator[None]:
    """Call a handler as the `attempt`-th delivery of its message, outside a consumer."""
    token = _DELIVERY.set(attempt)
    try:
        yield
    finally:
        _DELIVERY.reset(token)


class EventPublisher:
    def __init__(self, js: JetStreamContext, *, prefix: str = "", timeout_s: float = 2.0) -> None:
        self._js = js
        self._prefix = prefix
        # Short: a caller waiting on a broker that is down should hear about it quickly.
        self._timeout_s = timeout_s

    async def publish(self, event: Event, *, msg_id: str | None = None) -> None:
        """Publish `event`; JetStream drops a second message with the same `msg_id` (by
        default the event id) within its duplicate window."""
        headers = {"Nats-Msg-Id": msg_id or event.event_id}
        if event.request_id:
            headers["X-Request-ID"] = event.request_id
        tracing.inject(headers)
        if event.trace_id is None and (trace_id := tracing.current_trace_id()):
            # The trace the event belongs to, for a consumer that reads the payload alone.
            event = event.model_copy(update={"trace_id": trace_id})
        await self._js.publish(
            subject(event.subject, self._prefix),
            event.model_dump_json().encode(),
            headers=headers,
            timeout=self._timeout_s,
        )


@dataclass(frozen=True)
class ConsumerSpec:
    stream: StreamSpec
    durable: str
    filter_subject: str
    """Unprefixed subject, e.g. `generation.completed`."""
    ack_wait_s: float = 30
    max_deliver: int = 10
    max_ack_pending: int = 1000
    batch: int = 32
    concurrency: int = 16
    heartbeat_s: float | None = None
    """For long handlers: tell the server every this many seconds that the message is still
    being worked on, so it is not redelivered to another consumer meanwhile."""
    linger_s: float = 0.0
    """For handlers that batch their writes (`studio_runtime.grouped`) and whose results may
    come a moment late: after each fetch, wait this long before the next, so that it finds the
    events that arrived meanwhile and they are handled, and written, together. The first event
    after a quiet spell is still handled at once."""


class RetryLater(Exception):
    """Raised by a handler to have its event delivered again after `delay_s` seconds."""

    def __init__(self, reason: str, delay_s: float) -> None:
        super().__init__(reason)
        self.delay_s = delay_s


PENDING = Gauge(
    "studio_consumer_pending_messages",
    "Messages in the stream not yet delivered to this durable consumer, as of its last fetch",
    ["consumer"],
)


class EventConsumer(Generic[E]):
    """Runs `handler` for every event on a durable pull consumer until stopped."""

    def __init__(
        self,
        js: JetStreamContext,
        spec: ConsumerSpec,
        event_type: type[E],
        handler: Callable[[E], Awaitable[None]],
        *,
        prefix: str = "",
    ) -> None:
        self._js = js
        self._spec = spec
        self._stream = spec.stream.with_prefix(prefix).name
        self._subject = subject(spec.filter_subject, prefix)
        self._event_type = event_type
        self._handler = handler
        self._slots = asyncio.Semaphore(spec.concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop: asyncio.Task[None] | None = None
        self._subscription: JetStreamContext.PullSubscription | None = None
        self._stopping = False
        self.bound = False

    @property
    def name(self) -> str:
        return self._spec.durable

    def start(self) -> None:
        self._loop = asyncio.create_task(self._run(), name=f"consumer-{self._spec.durable}")

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stop pulling, give the handlers in flight `grace_s` to finish, then cancel the rest:
        their messages are not acked, so JetStream hands them to another consumer (handlers
        are written to be safe to run again). A stop never hangs on a handler."""
        self._stopping = True
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.wait({self._loop}, timeout=5)
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_s)
            for task in pending:
                task.cancel()
            if pending:
                log.warning(
                    "consumer.stop_cancelled", durable=self._spec.durable, in_flight=len(pending)
                )
                await asyncio.wait(pending, timeout=5)
        if self._subscription is not None:
            # Without this the connection's drain waits for the pull subscription until it
            # times out, and shutdown stalls.
            with contextlib.suppress(Exception):
                await self._subscription.unsubscribe()
            self._subscription = None

    async def ready(self) -> None:
        """Readiness check: the consumer exists and is being pulled from."""
        if not self.bound:
            raise RuntimeError(f"consumer {self._spec.durable} not bound to {self._stream} yet")

    async def _run(self) -> None:
        try:
            subscription = self._subscription = await self._bind()
        except Exception as exc:
            if self._stopping:  # the connection closed under a consumer still binding
                return
            log.error("consumer.bind_failed", durable=self._spec.durable, error=str(exc))
            raise
        while not self._stopping:
            # Pull only as many messages as can start now: a message fetched but left waiting
            # for a free slot gets no in-progress acks and would be redelivered elsewhere.
            await self._slots.acquire()
            free = 1
            while free < self._spec.batch and not self._slots.locked():
                await self._slots.acquire()
                free += 1
            messages = await self._fetch(subscription, free)
            if messages and (waiting := messages[-1].metadata.num_pending) is not None:
                # Free to know: every delivery says how many are still waiting behind it.
                PENDING.labels(self._spec.durable).set(waiting)
            for _ in range(free - len(messages)):
                self._slots.release()
            if self._stopping:
                for message in messages:
                    with contextlib.suppress(Exception):
                        await message.nak()  # not started: straight back to the others
                for _ in messages:
                    self._slots.release()
                return
            for message in messages:
                task = asyncio.create_task(self._handle(message))
                self._tasks.add(task)
                task.add_done_callback(self._finished)
            if messages and self._spec.linger_s:
                await asyncio.sleep(self._spec.linger_s)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()

    async def _bind(self) -> JetStreamContext.PullSubscription:
        config = ConsumerConfig(
            durable_name=self._spec.durable,
            filter_subject=self._subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=self._spec.ack_wait_s,
            max_deliver=self._spec.max_deliver,
            max_ack_pending=self._spec.max_ack_pending,
        )

        async def bind() -> JetStreamContext.PullSubscription:
            await self._js.add_consumer(self._stream, config)
            return await self._js.pull_subscribe_bind(self._spec.durable, stream=self._stream)

        with structlog.contextvars.bound_contextvars(
            durable=self._spec.durable, stream=self._stream
        ):
            subscription = await until_it_works(
                bind, what="consumer.bind", on=_BIND_RETRIES, wait_max_s=2.0
            )
        self.bound = True
        log.info("consumer.bound", durable=self._spec.durable, stream=self._stream)
        return subscription

    async def _fetch(
        self, subscription: JetStreamContext.PullSubscription, count: int
    ) -> list[Msg]:
        """Up to `count` messages, none if none came within a second. A failed fetch (the
        connection is lost and reconnects on its own) is tried again until it works."""

        async def fetch() -> list[Msg]:
            try:
                return await subscription.fetch(count, timeout=1)
            except TimeoutError:
                return []  # nothing waiting

        with structlog.contextvars.bound_contextvars(durable=self._spec.durable):
            return await until_it_works(
                fetch, what="consumer.fetch", wait_initial_s=0.5, wait_max_s=5.0
            )

    async def _handle(self, message: Msg) -> None:
        attempt = message.metadata.num_delivered
        _DELIVERY.set(attempt)
        try:
            event = self._event_type.model_validate_json(message.data)
        except ValidationError as exc:
            log.error(
                "event.unreadable",
                durable=self._spec.durable,
                subject=message.subject,
                error=str(exc)[:500],
            )
            await message.term()
            return
        bound = structlog.contextvars.bound_contextvars(
            event_id=event.event_id, request_id=event.request_id, user_id=event.user_id
        )
        traced = tracing.span(
            f"{message.subject} process",
            headers=message.headers,
            kind=trace.SpanKind.CONSUMER,
            consumer=self._spec.durable,
            event_id=event.event_id,
        )
        with bound, traced:
            heartbeat = self._start_heartbeat(message)
            try:
                await self._handler(event)
            except RetryLater as exc:
                log.info(
                    "event.deferred",
                    durable=self._spec.durable,
                    reason=str(exc),
                    delay_s=exc.delay_s,
                )
                await message.nak(delay=exc.delay_s)
                return
            except Exception as exc:
                if attempt >= self._spec.max_deliver:
                    log.error(
                        "event.dropped", durable=self._spec.durable, attempt=attempt, exc_info=exc
                    )
                    await message.term()
                    return
                log.warning(
                    "event.retrying", durable=self._spec.durable, attempt=attempt, error=str(exc)
                )
                # Not a retry loop here: JetStream waits (NAK with a delay) and redelivers, to
                # this consumer or another, so the retry survives a restart.
                await message.nak(delay=min(0.2 * 2**attempt, 30.0) * random.uniform(0.8, 1.2))
                return
            finally:
                if heartbeat is not None:
                    heartbeat.cancel()
            await message.ack()

    def _start_heartbeat(self, message: Msg) -> asyncio.Task[None] | None:
        interval = self._spec.heartbeat_s
        if interval is None:
            return None

        async def beat() -> None:
            while True:
                await asyncio.sleep(interval)
                with contextlib.suppress(Exception):
                    await message.in_progress()

        return asyncio.create_task(beat())
