"""The generation records' indexes, created in the background once MongoDB answers.

Not in the start-up path: the API must start (and report not ready) while MongoDB is still
coming up, whatever order the servers start in. Queries work without the indexes, only
slower, so readiness waits for them but nothing else does."""

import asyncio
import contextlib

import structlog
from studio_runtime.retrying import until_it_works

from studio_generation.repository import GenerationRepository

log = structlog.get_logger(__name__)


class Indexes:
    def __init__(self, repository: GenerationRepository) -> None:
        self._repository = repository
        self._task: asyncio.Task[None] | None = None
        self._last_error = "not tried yet"

    def start(self) -> None:
        self._task = asyncio.create_task(self._ensure(), name="generation-indexes")

    async def ready(self) -> None:
        """Readiness check: the indexes exist."""
        if self._task is None or not self._task.done() or self._task.cancelled():
            raise RuntimeError(f"indexes not created yet: {self._last_error}")
        self._task.result()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _ensure(self) -> None:
        await until_it_works(self._attempt, what="indexes", wait_max_s=10.0)
        log.info("indexes.ensured")

    async def _attempt(self) -> None:
        try:
            await self._repository.ensure_indexes()
        except Exception as exc:
            # Shown by /readyz: why the API is not ready, without reading its log.
            self._last_error = f"{type(exc).__name__}: {exc}"[:200]
            raise
