"""`/healthz` (the process is alive), `/readyz` (its dependencies answer) and `/metrics`."""

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

Check = Callable[[], Awaitable[object]]


class Readiness:
    """Named dependency checks, registered by the service's lifespan as it connects."""

    def __init__(self, timeout_s: float = 2.0) -> None:
        self.timeout_s = timeout_s
        self._checks: dict[str, Check] = {}

    def add(self, name: str, check: Check) -> None:
        self._checks[name] = check

    async def run(self) -> dict[str, str]:
        names = list(self._checks)
        results = await asyncio.gather(
            *(self._run_one(self._checks[name]) for name in names), return_exceptions=False
        )
        return dict(zip(names, results, strict=True))

    async def _run_one(self, check: Check) -> str:
        try:
            await asyncio.wait_for(check(), self.timeout_s)
        except TimeoutError:
            return f"timed out after {self.timeout_s:g}s"
        except Exception as exc:
            return f"{type(exc).__name__}: {exc}"[:300]
        return "ok"


def health_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> JSONResponse:
        readiness: Readiness = request.app.state.readiness
        if not getattr(request.app.state, "started", False):
            return JSONResponse({"status": "starting", "checks": {}}, status_code=503)
        checks = await readiness.run()
        ready = all(result == "ok" for result in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
