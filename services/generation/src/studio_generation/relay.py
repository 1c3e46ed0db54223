"""The relay: queues accepted generations whose `generation.requested` never reached the broker
(it was down when they were accepted), so none is ever stranded. Publishing again is harmless:
the message id is the generation id, and the worker's claim is conditional."""

import asyncio

import structlog

from studio_generation.repository import now_ms
from studio_generation.service import GenerationService

log = structlog.get_logger(__name__)


async def run_relay(service: GenerationService, *, interval_s: float, min_age_s: float) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await relay_once(service, min_age_s=min_age_s)
        except Exception as exc:  # the broker or database is down: try again next round
            log.warning("relay.failed", error=str(exc))


async def relay_once(service: GenerationService, *, min_age_s: float) -> int:
    stranded = await service.repository.unpublished(now_ms() - int(min_age_s * 1000))
    for doc in stranded:
        await service.publish_requested(doc)
    if stranded:
        log.info("relay.published", count=len(stranded))
    return len(stranded)
