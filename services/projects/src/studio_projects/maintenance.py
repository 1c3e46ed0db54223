"""Background upkeep: indexes once MongoDB answers, then a periodic sweep that finishes
unfinished deletions and forgets stats-ledger records no redelivery can need any more."""

import asyncio
from datetime import timedelta

import structlog
from pymongo.asynchronous.database import AsyncDatabase
from studio_contracts.subjects import ASSETS_STREAM, GENERATIONS_STREAM
from studio_runtime.clock import now_ms
from studio_runtime.retrying import until_it_works

from studio_projects.repository import Doc, ensure_indexes
from studio_projects.service import ProjectService
from studio_projects.stats import StatsKeeper
from studio_projects.templates.repository import ensure_template_indexes

APPLIED_EVENT_RETENTION = max(ASSETS_STREAM.max_age, GENERATIONS_STREAM.max_age) + timedelta(days=1)
"""Longer than the consumed streams keep messages: JetStream cannot redeliver anything older."""

log = structlog.get_logger(__name__)


class Maintenance:
    def __init__(
        self,
        db: AsyncDatabase[Doc],
        projects: ProjectService,
        stats: StatsKeeper,
        *,
        interval_s: float,
        deletion_grace_s: float,
    ) -> None:
        self._db = db
        self._projects = projects
        self._stats = stats
        self._interval_s = interval_s
        self._grace_ms = int(deletion_grace_s * 1000)

    async def run(self) -> None:
        await self._ensure_indexes()
        while True:
            await self.sweep_once()
            await asyncio.sleep(self._interval_s)

    async def sweep_once(self) -> None:
        now = now_ms()
        try:
            finished = await self._projects.finish_deletions(started_before_ms=now - self._grace_ms)
            retention_ms = APPLIED_EVENT_RETENTION // timedelta(milliseconds=1)
            forgotten = await self._stats.forget_before(now - retention_ms)
        except Exception as exc:
            # MongoDB or NATS away: the next round tries again, nothing is lost meanwhile.
            log.warning("maintenance.failed", error=str(exc))
            return
        if finished or forgotten:
            log.info("maintenance.swept", deletions_finished=finished, ledger_forgotten=forgotten)

    async def _ensure_indexes(self) -> None:
        # Not in the start-up path: the service must start (and report not-ready) while MongoDB
        # is still coming up; queries work without the indexes, only slower.
        await until_it_works(self._create_indexes, what="indexes")
        log.info("indexes.ensured")

    async def _create_indexes(self) -> None:
        await ensure_indexes(self._db)
        await ensure_template_indexes(self._db)
