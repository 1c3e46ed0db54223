"""A service's indexes, ensured in the background once MongoDB answers instead of during
start-up: the service starts (and reports not ready) while MongoDB is still coming up, so the
order in which a machine or a cluster starts things does not matter."""

from collections.abc import Awaitable, Callable

import structlog

from studio_runtime.retrying import until_it_works

log = structlog.get_logger(__name__)


class BackgroundIndexes:
    """`ensure()` (run it as a background task) creates the indexes, retrying until MongoDB
    answers; `ready` is a readiness check until then, naming the last error.

    Readiness waits for the indexes although queries work without them: a unique index is what
    keeps a repeated write from recording something twice."""

    def __init__(self, create: Callable[[], Awaitable[None]]) -> None:
        self._create = create
        self._ensured = False
        self._last_error = "not tried yet"

    async def ensure(self) -> None:
        await until_it_works(self._attempt, what="indexes", wait_max_s=10.0)
        self._ensured = True
        log.info("indexes.ensured")

    async def ready(self) -> None:
        if not self._ensured:
            raise RuntimeError(f"indexes not ensured yet: {self._last_error}")

    async def _attempt(self) -> None:
        try:
            await self._create()
        except Exception as exc:
            # Shown by /readyz: why the service is not ready, without reading its log.
            self._last_error = f"{type(exc).__name__}: {exc}"[:200]
            raise
