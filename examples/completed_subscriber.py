"""Follow AI Studio's finished generations from another service: a durable JetStream consumer
of `generation.completed` (see docs/events.md and docs/asyncapi.json).

    NATS_URL=nats://127.0.0.1:14222 uv run python examples/completed_subscriber.py

Durable means a restart resumes where it stopped: the consumer (named by STUDIO_EVENTS_DURABLE)
lives in NATS and remembers what was acknowledged. Delivery is at least once, so an event seen
twice (a crash between handling and ack) is recognised by its `event_id` and skipped. It prints
one JSON line per generation and needs only `nats-py`.

Environment: NATS_URL (default nats://127.0.0.1:14222, the NATS `make run` starts),
STUDIO_NATS_PREFIX (the installation's subject prefix, the services' own setting; usually empty;
STUDIO_SUBJECT_PREFIX is still read when it is not set), STUDIO_EVENTS_DURABLE (default
`example-completed`).
"""

import asyncio
import contextlib
import json
import os
import signal

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError


async def follow() -> None:
    prefix = os.environ.get("STUDIO_NATS_PREFIX") or os.environ.get("STUDIO_SUBJECT_PREFIX", "")
    subject = f"{prefix}.generation.completed" if prefix else "generation.completed"
    durable = os.environ.get("STUDIO_EVENTS_DURABLE", "example-completed")
    nc = await nats.connect(os.environ.get("NATS_URL", "nats://127.0.0.1:14222"))
    js = nc.jetstream()
    stream = await _stream_of(js, subject)
    await js.add_consumer(
        stream,
        ConsumerConfig(
            durable_name=durable,
            filter_subject=subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=30,
            max_deliver=5,
        ),
    )
    subscription = await js.pull_subscribe_bind(durable, stream=stream)
    print(json.dumps({"ready": True, "stream": stream, "subject": subject}), flush=True)

    seen: set[str] = set()  # a real service keeps this in its own database
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    while not stopping.is_set():
        try:
            messages = await subscription.fetch(10, timeout=1)
        except TimeoutError:
            continue
        for message in messages:
            event = json.loads(message.data)
            if event["event_id"] not in seen:
                handle(event)
                seen.add(event["event_id"])
            await message.ack()
    # Every fetched message is acked above; nothing is in flight to drain.
    await nc.close()


async def _stream_of(js: nats.js.JetStreamContext, subject: str) -> str:
    # The generation service declares the stream when it starts; wait for it.
    while True:
        with contextlib.suppress(NotFoundError):
            return await js.find_stream_name_by_subject(subject)
        await asyncio.sleep(1)


def handle(event: dict[str, object]) -> None:
    """What another service would do: index the outputs, notify someone, bill the user."""
    outputs = event.get("outputs")
    print(
        json.dumps(
            {
                "generation_id": event["generation_id"],
                "user_id": event["user_id"],
                "outputs": [o["asset_id"] for o in outputs] if isinstance(outputs, list) else [],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(follow())
