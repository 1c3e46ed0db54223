"""Reading what a service published on its JetStream stream, as a consumer would."""

import json
from typing import Any

import nats
from studio_contracts.subjects import StreamSpec, subject


async def stored_events(
    nats_url: str, stream: StreamSpec, prefix: str, subjects: str, count: int
) -> list[tuple[str, Any]]:
    """The first `count` events on `stream` matching `subjects` (a filter such as
    `template.>`): (subject without the prefix, payload)."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        pulled = await js.pull_subscribe(
            subject(subjects, prefix), stream=stream.with_prefix(prefix).name
        )
        messages = await pulled.fetch(count, timeout=5)
        return [
            (m.subject.removeprefix(f"{prefix}."), json.loads(m.data)) for m in messages[:count]
        ]
    finally:
        await nc.close()
