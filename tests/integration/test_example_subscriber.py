"""The example subscriber in examples/ runs as another team would run it, against the real NATS:
it sees each `generation.completed` once, and after a restart resumes where it stopped."""

import asyncio
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import nats
from nats.aio.client import Client as NatsClient
from studio_contracts.enums import MediaType
from studio_contracts.events import GenerationCompleted, OutputFile
from studio_contracts.subjects import GENERATIONS_STREAM, subject
from studio_runtime.nats import declare_stream

from tests.support.waiting import patience

EXAMPLE = Path(__file__).parents[2] / "examples" / "completed_subscriber.py"
READ_TIMEOUT_S = 30 * patience()


@asynccontextmanager
async def running_example(
    nats_url: str, prefix: str, durable: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "STUDIO_SUBJECT_PREFIX": prefix,
        "STUDIO_EVENTS_DURABLE": durable,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert json.loads(await _line(process))["ready"] is True
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(READ_TIMEOUT_S):
                await process.wait()


async def _line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    async with asyncio.timeout(READ_TIMEOUT_S):
        line = await process.stdout.readline()
    assert line, "the example ended early"
    return line.decode()


async def _publish(client: NatsClient, prefix: str, generation_id: str) -> None:
    event = GenerationCompleted(
        user_id="u-example",
        generation_id=generation_id,
        project_id="p-example",
        model_id="local/image",
        prompt="a lighthouse",
        outputs=[
            OutputFile(
                index=0,
                asset_id=f"a-{generation_id}",
                object_key=f"generations/{generation_id}/0.png",
                media_type=MediaType.IMAGE,
                content_type="image/png",
                size=1,
                sha256="0" * 64,
            )
        ],
    )
    await client.jetstream().publish(
        subject(event.subject, prefix),
        event.model_dump_json().encode(),
        headers={"Nats-Msg-Id": event.event_id},
    )


async def test_the_example_subscriber_sees_each_completion_once_across_a_restart(
    nats_url: str, nats_prefix: str
) -> None:
    client = await nats.connect(nats_url)
    try:
        await declare_stream(client.jetstream(), GENERATIONS_STREAM.with_prefix(nats_prefix))
        durable = f"example-{uuid.uuid4().hex[:8]}"
        first = [f"g-{n}" for n in range(3)]
        for generation_id in first:
            await _publish(client, nats_prefix, generation_id)
        async with running_example(nats_url, nats_prefix, durable) as example:
            seen = [json.loads(await _line(example)) for _ in first]
            assert [s["generation_id"] for s in seen] == first
            assert seen[0]["outputs"] == ["a-g-0"]
            example.send_signal(signal.SIGTERM)
            async with asyncio.timeout(READ_TIMEOUT_S):
                assert await example.wait() == 0

        later = ["g-3", "g-4", "g-last"]
        for generation_id in later:
            await _publish(client, nats_prefix, generation_id)
        async with running_example(nats_url, nats_prefix, durable) as example:
            # Only what came after the stop: the durable consumer remembered the acks.
            resumed = [json.loads(await _line(example))["generation_id"] for _ in later]
            assert resumed == later
    finally:
        await client.close()
