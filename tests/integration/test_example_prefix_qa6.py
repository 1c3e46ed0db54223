"""The example subscriber follows an installation's prefix from the services' own setting,
`STUDIO_NATS_PREFIX` (docs/events.md): set for the services, it must not leave the example
subscribed to subjects nothing is published on."""

import json
import uuid

import nats
import pytest
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_runtime.nats import declare_stream

from tests.integration.test_example_subscriber import _line, _publish, running_example


async def test_the_example_takes_the_prefix_the_services_are_given(
    nats_url: str, nats_prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STUDIO_NATS_PREFIX", nats_prefix)
    client = await nats.connect(nats_url)
    try:
        await declare_stream(client.jetstream(), GENERATIONS_STREAM.with_prefix(nats_prefix))
        await _publish(client, nats_prefix, "g-prefixed")
        # No prefix of its own (`STUDIO_SUBJECT_PREFIX` empty): only the services' setting.
        async with running_example(nats_url, "", f"example-{uuid.uuid4().hex[:8]}") as example:
            seen = json.loads(await _line(example))
            assert seen["generation_id"] == "g-prefixed"
    finally:
        await client.close()
