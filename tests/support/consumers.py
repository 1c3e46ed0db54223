"""Positive evidence that event handling has finished: every durable JetStream consumer of a
test's streams has been handed everything in its stream and has acked it all.

Use it instead of sleeping before asserting that something did *not* happen (a duplicate, a
second event): once the consumers are idle, nothing more is on its way.
"""

import nats
import nats.js.errors


async def consumers_idle(nats_url: str, prefix: str) -> bool:
    """True when every durable consumer on a stream under ``prefix`` has nothing pending and
    nothing unacked (and at least one such consumer exists)."""
    nc = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = nc.jetstream()
        seen = 0
        for stream in await js.streams_info():
            subjects = stream.config.subjects or []
            if not subjects or not all(s.startswith(f"{prefix}.") for s in subjects):
                continue
            try:
                consumers = await js.consumers_info(stream.config.name or "")
            except nats.js.errors.NotFoundError:
                return False
            for info in consumers:
                if not info.config.durable_name:
                    continue  # an ephemeral follower (a live events stream), not a handler
                seen += 1
                if info.num_pending or info.num_ack_pending:
                    return False
        return seen > 0
    finally:
        await nc.close()
