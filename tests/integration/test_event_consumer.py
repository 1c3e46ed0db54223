"""The durable event consumer against real JetStream: ack on success, redelivery after a
failure, unreadable payloads terminated, and binding once the stream appears."""

import asyncio
from collections.abc import AsyncIterator

import nats
import pytest
from nats.js import JetStreamContext
from studio_contracts import subjects
from studio_contracts.events import ProjectDeleted
from studio_runtime.events import ConsumerSpec, EventConsumer, EventPublisher
from studio_runtime.nats import declare_stream

from tests.support.waiting import eventually

SPEC = ConsumerSpec(
    stream=subjects.PROJECTS_STREAM,
    durable="test-consumer",
    filter_subject=subjects.PROJECT_DELETED,
    ack_wait_s=5,
    max_deliver=3,
)


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


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
    await asyncio.sleep(0.3)
    await consumer.stop()
    assert sorted(seen) == [f"p{i}" for i in range(5)]
    info = await js.consumer_info(
        subjects.PROJECTS_STREAM.with_prefix(nats_prefix).name, SPEC.durable
    )
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
    await asyncio.sleep(0.5)
    await consumer.stop()
    info = await js.consumer_info(
        subjects.PROJECTS_STREAM.with_prefix(nats_prefix).name, SPEC.durable
    )
    assert info.num_ack_pending == 0
    assert info.num_redelivered == 0


async def test_consumer_binds_once_the_stream_is_declared(
    js: JetStreamContext, nats_prefix: str
) -> None:
    seen: list[str] = []

    async def handle(event: ProjectDeleted) -> None:
        seen.append(event.project_id)

    consumer = EventConsumer(js, SPEC, ProjectDeleted, handle, prefix=nats_prefix)
    consumer.start()
    await asyncio.sleep(0.3)
    with pytest.raises(RuntimeError, match="not bound"):
        await consumer.ready()
    await declare_stream(js, subjects.PROJECTS_STREAM.with_prefix(nats_prefix))
    await EventPublisher(js, prefix=nats_prefix).publish(deleted("late"))
    await eventually(lambda: seen == ["late"])
    await consumer.stop()


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
    await asyncio.wait_for(started.wait(), 10)
    # Would hang for ever if stop waited for the handler.
    await asyncio.wait_for(consumer.stop(grace_s=0.2), 10)

    seen: list[str] = []

    async def handle(event: ProjectDeleted) -> None:
        seen.append(event.project_id)

    again = EventConsumer(js, SPEC, ProjectDeleted, handle, prefix=nats_prefix)
    again.start()
    try:
        await eventually(lambda: seen == ["p1"], within=SPEC.ack_wait_s + 10)
    finally:
        await again.stop()
