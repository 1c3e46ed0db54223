"""The gateway: the only public entry point, in front of the four internal services."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import FastAPI
from studio_runtime.app import create_service_app
from studio_runtime.health import Readiness

from studio_gateway.api import build_router
from studio_gateway.proxy import UpstreamProxy
from studio_gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        limits = httpx.Limits(
            max_connections=cfg.upstream_max_connections,
            max_keepalive_connections=cfg.upstream_max_connections,
        )
        async with httpx.AsyncClient(
            timeout=cfg.upstream_timeout_s, limits=limits, follow_redirects=False
        ) as client:
            app.state.proxy = UpstreamProxy(
                client,
                secret=cfg.internal_secret.get_secret_value(),
                token_ttl_s=cfg.internal_token_ttl_s,
            )
            for name, url in cfg.upstreams().items():
                readiness.add(name, partial(_check_alive, client, url))
            yield

    return create_service_app(
        name="gateway",
        settings=settings,
        routers=[build_router(settings)],
        lifespan=lifespan,
        internal=False,
        title="AI Studio API",
        openapi_url="/api/v1/openapi.json",
    )


async def _check_alive(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(base_url + "/healthz", timeout=2)
    response.raise_for_status()
