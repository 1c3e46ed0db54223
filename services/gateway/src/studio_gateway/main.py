"""The gateway: the only public entry point, in front of the four internal services.

It keeps accounts, sessions and API tokens in its own database (`auth/`), applies the per-user
limits (`limits/`), forwards everything else to the service that owns it (`proxy/`), follows the
event streams for live updates (`live/`), serves one API document for it all (`openapi/`) and
the web studio (`studio.py`); `security/` adds the headers every answer carries and keeps
`/metrics` for operators."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import httpx
from fastapi import APIRouter, FastAPI
from studio_runtime.app import create_service_app
from studio_runtime.client_pool import ClientPool
from studio_runtime.health import Readiness
from studio_runtime.mongo import install_database_error_handler
from studio_runtime.resources import mongo_and_nats

from studio_gateway import studio
from studio_gateway.auth import api as auth_api
from studio_gateway.auth.identity import Authenticator
from studio_gateway.auth.repository import AccountRepository
from studio_gateway.auth.revocations import Revocations
from studio_gateway.auth.service import AccountService, SignInLimits
from studio_gateway.compression import JsonGzipMiddleware
from studio_gateway.deps import GatewayServices
from studio_gateway.limits.buckets import RateLimiter
from studio_gateway.limits.requests import PER_USER_REQUEST_LIMIT
from studio_gateway.limits.uploads import UploadSizeMiddleware
from studio_gateway.live import api as live_api
from studio_gateway.live.streams import LiveEvents
from studio_gateway.openapi.document import DOCS_PATH, PublicOpenApi, install_docs
from studio_gateway.proxy.routes import ROUTES, build_routes
from studio_gateway.proxy.upstream import UpstreamProxy
from studio_gateway.security.headers import SecurityHeadersMiddleware
from studio_gateway.security.metrics_access import MetricsAccessMiddleware, parse_networks
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
        streaming = ClientPool(
            shards=2,
            connections_per_shard=cfg.upstream_connections_per_shard,
            timeout_s=cfg.upstream_timeout_s,
            native_transport=True,
        )
        try:
            async with mongo_and_nats(app, readiness, cfg, name="gateway"):
                repository = AccountRepository(app.state.db)
                if cfg.auth_mode == "accounts":
                    await repository.ensure_indexes()
                authenticator = Authenticator(cfg, repository)
                live = LiveEvents(
                    app.state.js,
                    prefix=cfg.nats_prefix,
                    queue_max=cfg.sse_queue_max,
                    replay_max=cfg.sse_replay_max,
                    is_connected=lambda: bool(app.state.nats.is_connected),
                )
                revocations = Revocations(
                    app.state.nats,
                    authenticator,
                    prefix=cfg.nats_prefix,
                    on_revoked=live.end_credential,
                )
                await revocations.start()
                live.start()
                readiness.add("events", live.ready)
                proxy = UpstreamProxy(
                    clients.pick,
                    cfg.upstreams(),
                    secret=cfg.internal_secret.get_secret_value(),
                    token_ttl_s=cfg.internal_token_ttl_s,
                    pick_streaming_client=streaming.pick,
                )
                app.state.gateway = GatewayServices(
                    settings=cfg,
                    authenticator=authenticator,
                    accounts=AccountService(
                        repository, revocations, cfg, SignInLimits.from_settings(cfg)
                    ),
                    proxy=proxy,
                    live=live,
                    request_limit=RateLimiter(limit=cfg.requests_per_minute),
                    upload_limit=RateLimiter(limit=cfg.upload_bytes_per_hour, window_s=3600),
                )
                app.state.openapi = PublicOpenApi(app, proxy, list(cfg.upstreams()), ROUTES)
                for name, url in cfg.upstreams().items():
                    readiness.add(name, partial(_check_alive, clients.pick(), url))
                try:
                    yield
                finally:
                    await live.stop()
                    await revocations.stop()
        finally:
            await clients.aclose()
            await streaming.aclose()

    studio_files = studio.StudioFiles.load()
    app = create_service_app(
        name="gateway",
        settings=settings,
        routers=[auth_api.sign_in_router, _with_caller(), studio.build_router(studio_files)],
        lifespan=lifespan,
        internal=False,
        title="AI Studio API",
        openapi_url=None,
        body_read_timeout_s=settings.body_read_timeout_s,
    )
    # First in the table: most requests are forwards, and they match before FastAPI's routes
    # are tried.
    app.router.routes[:0] = build_routes()
    app.add_middleware(JsonGzipMiddleware)
    app.add_middleware(UploadSizeMiddleware, file_max_bytes=settings.upload_max_bytes)
    app.add_middleware(MetricsAccessMiddleware, networks=parse_networks(settings.metrics_networks))
    app.add_middleware(
        SecurityHeadersMiddleware,
        docs_path=DOCS_PATH,
        docs_policy=install_docs(app),
        strict_transport=settings.strict_transport,
    )
    install_database_error_handler(app)
    studio.install_not_found_page(app, studio_files)
    return app


def _with_caller() -> APIRouter:
    """Every route that acts for a caller, each request counted against the caller's limit."""
    router = APIRouter(dependencies=PER_USER_REQUEST_LIMIT)
    router.include_router(auth_api.router)
    router.include_router(live_api.router)
    return router


async def _check_alive(client: httpx.AsyncClient, base_url: str) -> None:
    response = await client.get(base_url + "/healthz", timeout=2)
    response.raise_for_status()
