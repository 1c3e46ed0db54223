"""The durable event consumer against real JetStream: ack on success, redelivery after a
failure, unreadable payloads terminated, and binding once the stream appears."""

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable

import pytest
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo
from studio_contracts import subjects
from studio_contracts.events import ProjectDeleted
from studio_runtime.events import ConsumerSpec, EventConsumer, EventPublisher
from studio_runtime.nats import declare_stream

from tests.support.waiting import eventually, patience

SPEC = ConsumerSpec(
    stream=subjects.PROJECTS_STREAM,
    durable="test-consumer",
    filter_subject=subjects.PROJECT_DELETED,
    ack_wait_s=5,
    max_deliver=3,
)


@pytest.fixture
def js(nc: NatsClient) -> JetStreamContext:
    return nc.jetstream()


def deleted(project_id: str) -> ProjectDeleted:
    return ProjectDeleted(user_id="u1", project_id=project_id)


async def test_handled_events_are_acked_once(js: JetStreamContext, nats_prefix: str) -> None:
    await declare_stream(js, subjects.PROJECTS_STREAM.with_prefix(nats_prefix))
    seen: list[str] = []

    async def handle(event: ProjectDeleted) -> None:
        seen.append(event.project_id)

    consumer = EventConsumer(js, SPEC, ProjectDeleted, handle, prefix=nats_prefix)
    consumer.start()
    publisher = EventPublisher(js, prefix=nats_prefix)
    for i in range(5):
        await publisher.publish(deleted(f"p{i}"))
    await eventually(lambda: len(seen) == 5)
    await consumer.ready()
    # Positive evidence that all five were acked: the consumer's ack floor reached them.
    await eventually(lambda: _settled(js, nats_prefix, through=5))
    await consumer.stop()
    assert sorted(seen) == [f"p{i}" for i in range(5)]
    info = await _info(js, nats_prefix)
    assert info.num_ack_pending == 0
    assert info.num_pending == 0


async def test_a_failing_handler_gets_the_event_again(
    js: JetStreamContext, nats_prefix: str
) -> None:
    await declare_stream(js, subjects.PROJECTS_STREAM.with_prefix(nats_prefix))
    attempts: list[str] = []

    async def flaky(event: ProjectDeleted) -> None:
        attempts.append(event.project_id)
        if len(attempts) < 3:
            raise ConnectionError("database briefly unavailable")

    consumer = EventConsumer(js, SPEC, ProjectDeleted, flaky, prefix=nats_prefix)
    consumer.start()
    await EventPublisher(js, prefix=nats_prefix).publish(deleted("p1"))
    await eventually(lambda: len(attempts) == 3)
    await consumer.stop()
    assert attempts == ["p1", "p1", "p1"]


async def test_unreadable_payload_is_terminated_not_retried(
    js: JetStreamContext, nats_prefix: str
) -> None:
    await declare_stream(js, subjects.PROJECTS_STREAM.with_prefix(nats_prefix))
    seen: list[str] = []

    async def handle(event: ProjectDeleted) -> None:
        seen.append(event.project_id)

    consumer = EventConsumer(js, SPEC, ProjectDeleted, handle, prefix=nats_prefix)
    consumer.start()
    await js.publish(subjects.subject(subjects.PROJECT_DELETED, nats_prefix), b"{not json")
    await EventPublisher(js, prefix=nats_prefix).publish(deleted("after"))
    await eventually(lambda: seen == ["after"])
    # Both messages settled (the unreadable one terminated, the other acked): nothing is left
    # that could come back.
    await eventually(lambda: _settled(js, nats_prefix, through=2))
    await consumer.stop()
    info = await _info(js, nats_prefix)
    assert info.num_ack_pending == 0
    assert info.num_redelivered == 0
    assert seen == ["after"]


async def test_consumer_binds_once_the_stream_is_declared(
    nc: NatsClient, js: JetStreamContext, nats_prefix: str
) -> None:
    seen: list[str] = []

    async def handle(event: ProjectDeleted) -> None:
        seen.append(event.project_id)

    # The JetStream API is requests on `$JS.API.…` subjects: watching them shows the consumer
    # asking for itself on a stream that does not exist yet.
    stream = subjects.PROJECTS_STREAM.with_prefix(nats_prefix).name
    asked: list[str] = []
    watch = await nc.subscribe("$JS.API.CONSUMER.>", cb=_record(asked, stream))
    try:
        consumer = EventConsumer(js, SPEC, ProjectDeleted, handle, prefix=nats_prefix)
        consumer.start()
        await eventually(lambda: len(asked) >= 2, what="the consumer asking twice, in vain")
        with pytest.raises(RuntimeError, match="not bound"):
            await consumer.ready()
    finally:
        await watch.unsubscribe()
    await declare_stream(js, subjects.PROJECTS_STREAM.with_prefix(nats_prefix))
    await EventPublisher(js, prefix=nats_prefix).publish(deleted("late"))
    await eventually(lambda: seen == ["late"])
    await consumer.ready()
    await consumer.stop()


def _record(into: list[str], stream: str) -> Callable[[Msg], Awaitable[None]]:
    async def record(message: Msg) -> None:
        if f".{stream}." in f"{message.subject}.":
            into.append(message.subject)

    return record


async def test_stop_does_not_wait_for_ever_and_the_event_comes_back(
    js: JetStreamContext, nats_prefix: str
) -> None:
    await declare_stream(js, subjects.PROJECTS_STREAM.with_prefix(nats_prefix))
    started = asyncio.Event()

    async def stuck(event: ProjectDeleted) -> None:
        started.set()
        await asyncio.Event().wait()  # a handler that never returns

    consumer = EventConsumer(js, SPEC, ProjectDeleted, stuck, prefix=nats_prefix)
    consumer.start()
    await EventPublisher(js, prefix=nats_prefix).publish(deleted("p1"))
    await asyncio.wait_for(started.wait(), 10 * patience())
    # Would hang for ever if stop waited for the handler.
    await asyncio.wait_for(consumer.stop(grace_s=0.2), 10 * patience())

    seen: list[str] = []

    async def handle(event: ProjectDeleted) -> None:
        seen.append(event.project_id)

    again = EventConsumer(js, SPEC, ProjectDeleted, handle, prefix=nats_prefix)
    again.start()
    try:
        await eventually(lambda: seen == ["p1"], within=SPEC.ack_wait_s + 10)
    finally:
        await again.stop()


class _CountedFetches(EventConsumer[ProjectDeleted]):
    """The consumer, keeping the size of every fetch that brought something."""

    fetched: list[int]

    async def _fetch(
        self, subscription: JetStreamContext.PullSubscription, count: int
    ) -> list[Msg]:
        messages = await super()._fetch(subscription, count)
        if messages:
            self.fetched.append(len(messages))
        return messages


async def test_a_lingering_consumer_takes_a_burst_in_few_fetches(
    js: JetStreamContext, nats_prefix: str
) -> None:
    """After a fetch, a lingering consumer waits before the next, which then takes everything
    that came meanwhile: a burst is handled (and its writes grouped) together. (Without linger,
    events published one after another here come a fetch or two each.)"""
    await declare_stream(js, subjects.PROJECTS_STREAM.with_prefix(nats_prefix))
    seen: list[str] = []

    async def handle(event: ProjectDeleted) -> None:
        seen.append(event.project_id)

    spec = dataclasses.replace(SPEC, linger_s=2.0, batch=32, concurrency=32)
    consumer = _CountedFetches(js, spec, ProjectDeleted, handle, prefix=nats_prefix)
    consumer.fetched = []
    consumer.start()
    publisher = EventPublisher(js, prefix=nats_prefix)
    try:
        await publisher.publish(deleted("first"))
        await eventually(lambda: seen == ["first"])  # handled at once; the lingering begins
        for i in range(20):
            await publisher.publish(deleted(f"p{i}"))
        await eventually(lambda: len(seen) == 21)
    finally:
        await consumer.stop()
    assert consumer.fetched[0] == 1
    burst = consumer.fetched[1:]
    assert sum(burst) == 20
    assert len(burst) <= 3, burst


async def _info(js: JetStreamContext, prefix: str) -> ConsumerInfo:
    info: ConsumerInfo = await js.consumer_info(
        subjects.PROJECTS_STREAM.with_prefix(prefix).name, SPEC.durable
    )
    return info


async def _settled(js: JetStreamContext, prefix: str, *, through: int) -> bool:
    info = await _info(js, prefix)
    floor = info.ack_floor.stream_seq if info.ack_floor else 0
    return bool(floor is not None and floor >= through and not info.num_ack_pending)
