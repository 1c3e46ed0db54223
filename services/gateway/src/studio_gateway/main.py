"""The gateway: the only public entry point, in front of the four internal services."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import FastAPI
from studio_runtime.app import create_service_app
from studio_runtime.client_pool import ClientPool
from studio_runtime.health import Readiness

from studio_gateway.api import build_router
from studio_gateway.proxy import UpstreamProxy
from studio_gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        clients = ClientPool(
            shards=cfg.upstream_pool_shards,
            connections_per_shard=cfg.upstream_connections_per_shard,
            timeout_s=cfg.upstream_timeout_s,
        )
        try:
            app.state.proxy = UpstreamProxy(
                clients,
                secret=cfg.internal_secret.get_secret_value(),
                token_ttl_s=cfg.internal_token_ttl_s,
            )
            for name, url in cfg.upstreams().items():
                readiness.add(name, partial(_check_alive, clients.pick(), url))
            yield
        finally:
            await clients.aclose()

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
