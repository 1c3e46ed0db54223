"""The app factory every service builds on: logging, request context, internal auth, errors,
health and metrics, and a lifespan that registers readiness checks as dependencies connect."""

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext

import structlog
from fastapi import APIRouter, FastAPI

from studio_runtime.errors import install_error_handlers
from studio_runtime.health import Readiness, health_router
from studio_runtime.logging import configure_logging
from studio_runtime.middleware import (
    BODY_READ_TIMEOUT_S,
    HeadAsGetMiddleware,
    InternalIdentityMiddleware,
    RequestContextMiddleware,
)
from studio_runtime.settings import ServiceSettings
from studio_runtime.strict_json import StrictJsonMiddleware
from studio_runtime.tracing import configure_tracing, instrument_app

ServiceLifespan = Callable[[FastAPI, Readiness], AbstractAsyncContextManager[None]]

log = structlog.get_logger(__name__)


def create_service_app(
    *,
    name: str,
    settings: ServiceSettings,
    routers: Sequence[APIRouter] = (),
    lifespan: ServiceLifespan | None = None,
    internal: bool = True,
    title: str | None = None,
    openapi_url: str | None = "/openapi.json",
    body_read_timeout_s: float = BODY_READ_TIMEOUT_S,
) -> FastAPI:
    """Build a service app. `internal=True` refuses calls without the gateway's identity;
    `body_read_timeout_s` is the longest wait for the next piece of a request body (408)."""
    configure_logging(service=name, json=settings.log_json, level=settings.log_level)
    configure_tracing(name)
    readiness = Readiness()

    @asynccontextmanager
    async def service_lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("service.starting", port=settings.port)
        async with lifespan(app, readiness) if lifespan else nullcontext():
            app.state.started = True
            log.info("service.started", port=settings.port)
            yield
        app.state.started = False
        log.info("service.stopped")

    app = FastAPI(
        title=title or f"AI Studio {name}",
        version="0.1.0",
        lifespan=service_lifespan,
        openapi_url=openapi_url,
        docs_url="/docs" if openapi_url else None,
        redoc_url=None,
    )
    # A path with a trailing slash is unknown, not redirected: the redirect would be built from
    # the decoded path, so `/projects/..%2F` would be sent on to `/projects/..`.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.readiness = readiness
    app.state.started = False
    install_error_handlers(app)
    app.include_router(health_router())
    for router in routers:
        app.include_router(router)
    # Inside the identity check: a caller the service does not know has no body read.
    app.add_middleware(StrictJsonMiddleware)
    app.add_middleware(HeadAsGetMiddleware)
    if internal:
        app.add_middleware(
            InternalIdentityMiddleware, secret=settings.internal_secret.get_secret_value()
        )
    app.add_middleware(RequestContextMiddleware, body_read_timeout_s=body_read_timeout_s)
    instrument_app(app, name)
    return app
