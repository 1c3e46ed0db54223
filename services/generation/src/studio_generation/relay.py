"""The relay: makes sure every accepted generation is on the queue.

- Records accepted while the broker was down (never published) are published. Publishing again
  is harmless: the message id is the generation id, and the worker's claim is conditional.
- Records left `processing` by a worker that died, long after their lease ended, are queued
  again: NATS redelivers a job only a bounded number of times, and a job whose worker crashed on
  every delivery would otherwise stay `processing` for ever. The next worker takes it over, or
  fails it when it has used up its attempts.
"""

import asyncio

import structlog
from studio_runtime.clock import now_ms

from studio_generation.service import GenerationService

log = structlog.get_logger(__name__)


async def run_relay(
    service: GenerationService, *, interval_s: float, min_age_s: float, requeue_after_s: float
) -> None:
    while True:
        await asyncio.sleep(interval_s)
        try:
            await relay_once(service, min_age_s=min_age_s, requeue_after_s=requeue_after_s)
        except Exception as exc:  # the broker or database is down: try again next round
            log.warning("relay.failed", error=str(exc))


async def relay_once(
    service: GenerationService, *, min_age_s: float, requeue_after_s: float
) -> tuple[int, int]:
    """Publish what is unpublished and requeue what is abandoned; returns the two counts."""
    now = now_ms()
    stranded = await service.publish_unpublished(older_than_ms=now - int(min_age_s * 1000))
    abandoned = await service.requeue_abandoned(
        lease_ended_before_ms=now - int(requeue_after_s * 1000)
    )
    if stranded or abandoned:
        log.info("relay.published", unpublished=stranded, requeued=abandoned)
    return stranded, abandoned
