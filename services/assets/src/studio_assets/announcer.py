"""The announcer: `asset.created` for every registered output, even when the broker was down.

Registering a generation's outputs must not fail because NATS is away for a moment (the worker
would otherwise retry the whole job): the records are stored and served, the events they could
not publish are flagged, and this loop publishes them once the broker is back. The event ids are
deterministic, so a double publish is harmless."""

import asyncio

import structlog

from studio_assets.service import AssetService

log = structlog.get_logger(__name__)


async def run_announcer(service: AssetService, *, interval_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            published = await service.announce_deferred()
        except Exception as exc:  # still down: next round
            log.warning("announcer.failed", error=str(exc))
            continue
        if published:
            log.info("announcer.published", events=published)
