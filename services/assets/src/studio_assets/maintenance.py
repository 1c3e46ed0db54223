"""The indexes, ensured in the background once MongoDB answers instead of during start-up: the
service starts (and reports not ready) while MongoDB is still coming up, so the order in which
a machine or a cluster starts things does not matter."""

from collections.abc import Awaitable, Callable

import structlog
from studio_runtime.retrying import until_it_works

log = structlog.get_logger(__name__)


class Indexes:
    """Ensures the indexes in the background; a readiness check until they exist.

    Not ready before: queries would work, but the unique index is what keeps a repeated
    output registration from recording an output twice."""

    def __init__(self, ensure: Callable[[], Awaitable[None]]) -> None:
        self._ensure = ensure
        self._ensured = False
        self._last_error = "not tried yet"

    async def ensure(self) -> None:
        await until_it_works(self._attempt, what="indexes")
        self._ensured = True
        log.info("indexes.ensured")

    async def ready(self) -> None:
        if not self._ensured:
            raise RuntimeError(f"indexes not ensured yet: {self._last_error}")

    async def _attempt(self) -> None:
        try:
            await self._ensure()
        except Exception as exc:
            # Shown by /readyz: why the service is not ready, without reading its log.
            self._last_error = f"{type(exc).__name__}: {exc}"[:200]
            raise
