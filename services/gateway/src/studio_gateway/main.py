"""The gateway: the only public entry point, in front of the four internal services.

It keeps accounts, sessions and API tokens in its own database, follows the event streams for
live updates, and forwards everything else to the service that owns it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import FastAPI
from studio_runtime.app import create_service_app
from studio_runtime.client_pool import ClientPool
from studio_runtime.health import Readiness
from studio_runtime.mongo import install_database_error_handler
from studio_runtime.resources import mongo_and_nats

from studio_gateway import accounts_api, events_api, studio
from studio_gateway.api import ROUTES, build_router
from studio_gateway.headers import SecurityHeadersMiddleware
from studio_gateway.identity import Authenticator
from studio_gateway.live import LiveEvents
from studio_gateway.metrics_access import MetricsAccessMiddleware, parse_networks
from studio_gateway.openapi import DOCS_PATH, PublicOpenApi, install_docs
from studio_gateway.proxy import UpstreamProxy
from studio_gateway.repository import AccountRepository
from studio_gateway.revocations import Revocations
from studio_gateway.services import GatewayServices
from studio_gateway.settings import GatewaySettings
from studio_gateway.uploads import UploadSizeMiddleware


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
            async with mongo_and_nats(app, readiness, cfg, name="gateway"):
                accounts = AccountRepository(app.state.db)
                if cfg.auth_mode == "accounts":
                    await accounts.ensure_indexes()
                authenticator = Authenticator(cfg, accounts)
                revocations = Revocations(app.state.nats, authenticator, prefix=cfg.nats_prefix)
                await revocations.start()
                live = LiveEvents(
                    app.state.js,
                    prefix=cfg.nats_prefix,
                    queue_max=cfg.sse_queue_max,
                    replay_max=cfg.sse_replay_max,
                )
                live.start()
                readiness.add("events", live.ready)
                proxy = UpstreamProxy(
                    clients,
                    secret=cfg.internal_secret.get_secret_value(),
                    token_ttl_s=cfg.internal_token_ttl_s,
                )
                app.state.gateway = GatewayServices(
                    settings=cfg,
                    accounts=accounts,
                    authenticator=authenticator,
                    revocations=revocations,
                    proxy=proxy,
                    live=live,
                    **GatewayServices.limits_from(cfg),
                )
                app.state.openapi = PublicOpenApi(app, proxy, cfg.upstreams(), ROUTES)
                for name, url in cfg.upstreams().items():
                    readiness.add(name, partial(_check_alive, clients.pick(), url))
                try:
                    yield
                finally:
                    await live.stop()
                    await revocations.stop()
        finally:
            await clients.aclose()

    app = create_service_app(
        name="gateway",
        settings=settings,
        routers=[
            accounts_api.router,
            events_api.router,
            build_router(settings),
            studio.build_router(),
        ],
        lifespan=lifespan,
        internal=False,
        title="AI Studio API",
        openapi_url=None,
        body_read_timeout_s=settings.body_read_timeout_s,
    )
    app.add_middleware(UploadSizeMiddleware, file_max_bytes=settings.upload_max_bytes)
    app.add_middleware(MetricsAccessMiddleware, networks=parse_networks(settings.metrics_networks))
    app.add_middleware(
        SecurityHeadersMiddleware, docs_path=DOCS_PATH, docs_policy=install_docs(app)
    )
    install_database_error_handler(app)
    return app


async def _check_alive(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(base_url + "/healthz", timeout=2)
    response.raise_for_status()
