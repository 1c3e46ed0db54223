"""The generation service's two processes: `api` (accepts and tracks generations) and `worker`
(runs them). Both are built here; `python -m studio_generation api|worker` picks one."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from pymongo.errors import PyMongoError
from studio_contracts import subjects
from studio_runtime.client_pool import ClientPool
from studio_runtime.clients import AssetsClient, CatalogClient, ProjectsClient
from studio_runtime.events import EventPublisher
from studio_runtime.health import Readiness
from studio_runtime.indexes import BackgroundIndexes
from studio_runtime.internal_http import InternalService, internal_client
from studio_runtime.resources import create_data_service_app
from studio_runtime.retrying import until_it_works
from studio_runtime.rpc import RpcClient

from studio_generation.api import router
from studio_generation.asyncapi_api import router as asyncapi_router
from studio_generation.cancels import CancelBroadcaster, CancelSignals
from studio_generation.events import (
    GenerationEvents,
    follow_project_deletions,
    job_queue,
    output_deletions,
    project_cleanup,
)
from studio_generation.outputs import OutputWriter
from studio_generation.projects_cache import CachedProjects
from studio_generation.providers.base import Provider
from studio_generation.providers.fal import FalProvider
from studio_generation.providers.local import LocalProvider
from studio_generation.providers.pool import ProviderPool
from studio_generation.relay import run_relay
from studio_generation.repository import GenerationRepository
from studio_generation.service import GenerationService
from studio_generation.settings import GenerationSettings, WorkerSettings
from studio_generation.worker import Worker


def create_app(settings: GenerationSettings | None = None) -> FastAPI:
    cfg = settings or GenerationSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        # Runs inside the MongoDB and NATS connections (app.state.db, .nats, .js); nothing here
        # waits for MongoDB, so the API starts (not ready) before its database does.
        repository = GenerationRepository(app.state.db)
        indexes = BackgroundIndexes(repository.ensure_indexes)
        creating = asyncio.create_task(indexes.ensure(), name="generation-indexes")
        readiness.add("indexes", indexes.ready)
        async with internal_client(timeout_s=15) as client:
            projects = CachedProjects(ProjectsClient(_internal(client, cfg, "projects")))
            deletions = await follow_project_deletions(
                app.state.nats, projects, prefix=cfg.nats_prefix
            )
            service = GenerationService(
                repository,
                CatalogClient(_internal(client, cfg, "catalog")),
                AssetsClient(_internal(client, cfg, "assets")),
                projects,
                GenerationEvents(EventPublisher(app.state.js, prefix=cfg.nats_prefix)),
                CancelBroadcaster(app.state.nats, prefix=cfg.nats_prefix),
                cfg,
            )
            app.state.generations = service
            cleanup = project_cleanup(
                app.state.js, service.delete_project_generations, prefix=cfg.nats_prefix
            )
            cleanup.start()
            forgetting = output_deletions(
                app.state.js, service.forget_output, prefix=cfg.nats_prefix
            )
            forgetting.start()
            relay = asyncio.create_task(
                run_relay(
                    service,
                    interval_s=cfg.relay_interval_s,
                    min_age_s=cfg.relay_min_age_s,
                    requeue_after_s=cfg.requeue_after_s,
                ),
                name="generation-relay",
            )
            try:
                yield
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay
                await cleanup.stop()
                await forgetting.stop()
                await deletions.unsubscribe()
                creating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await creating

    # The API process owns the GENERATIONS stream; workers only bind to it.
    return create_data_service_app(
        name="generation-api",
        settings=cfg,
        own_streams=[subjects.GENERATIONS_STREAM],
        routers=[router, asyncapi_router],
        lifespan=lifespan,
    )


REGISTRATION_TIMEOUT_S = 30
"""The longest wait for the assets service to register a job's outputs over NATS."""


def create_worker_app(settings: WorkerSettings | None = None) -> FastAPI:
    cfg = settings or WorkerSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        store = await cfg.open_object_store()
        readiness.add("storage", store.ping)
        # fal's queue is polled for every job in flight, and its files fetched: small pools,
        # about 32 jobs each. Outbound traffic, so a proxy from the environment applies.
        provider_clients = ClientPool(
            shards=max(1, cfg.worker_concurrency // 32),
            connections_per_shard=48,
            timeout_s=60,
            trust_env=True,
        )
        # Outputs are registered with the assets service once per job: spread over small
        # pools, since httpx checks every idle connection of a pool on each request.
        internal = ClientPool(
            shards=max(1, cfg.worker_concurrency // 8), connections_per_shard=8, timeout_s=60
        )
        try:
            cancels = CancelSignals(app.state.nats, prefix=cfg.nats_prefix)
            await cancels.start()
            worker = Worker(
                GenerationRepository(app.state.db),
                GenerationEvents(EventPublisher(app.state.js, prefix=cfg.nats_prefix)),
                _providers(cfg, provider_clients),
                OutputWriter(store, provider_clients, max_bytes=cfg.max_output_bytes),
                AssetsClient(
                    _internal(internal, cfg, "assets"),
                    RpcClient(
                        app.state.nats,
                        service="assets",
                        secret=cfg.internal_secret.get_secret_value(),
                        ttl_s=cfg.internal_token_ttl_s,
                        # Ample for thumbnails of the largest outputs under a burst; an assets
                        # process that dies mid-call is noticed sooner, by the client's probes.
                        timeout_s=REGISTRATION_TIMEOUT_S,
                        prefix=cfg.nats_prefix,
                    ),
                ),
                cancels,
                cfg,
            )
            consumer = job_queue(app.state.js, worker.handle, cfg)
            consumer.start()
            readiness.add("consumer", consumer.ready)
            # In the background, retried while MongoDB does not answer: at a roll-out it may
            # still be starting, and the worker waits for it as the other services do (ready
            # once it answers) rather than fail its start and crash-loop.
            taking_back = asyncio.create_task(
                until_it_works(worker.take_back, what="jobs.take_back", on=PyMongoError)
            )
            try:
                yield
            finally:
                taking_back.cancel()
                await asyncio.gather(taking_back, return_exceptions=True)
                # Jobs in flight get the whole shutdown grace to finish before they are handed
                # to another worker (the orchestrator waits that long, plus margin).
                await asyncio.gather(
                    consumer.stop(grace_s=cfg.shutdown_grace_s),
                    worker.stop_taken_back(grace_s=cfg.shutdown_grace_s),
                )
                await cancels.stop()
        finally:
            await internal.aclose()
            await provider_clients.aclose()

    return create_data_service_app(name="generation-worker", settings=cfg, lifespan=lifespan)


def _internal(
    client: httpx.AsyncClient | ClientPool, cfg: GenerationSettings, name: str
) -> InternalService:
    urls = {"projects": cfg.projects_url, "catalog": cfg.catalog_url, "assets": cfg.assets_url}
    return InternalService.from_settings(client, cfg, urls[name], name=name)


def _providers(cfg: WorkerSettings, clients: ClientPool) -> dict[str, Provider]:
    providers: dict[str, Provider] = {
        "local": LocalProvider(
            latency_s=cfg.local_latency_s, progress_steps=cfg.local_progress_steps
        )
    }
    if cfg.fal_key.get_secret_value():
        providers["fal"] = ProviderPool(
            [
                FalProvider(
                    fal_client,
                    base_url=cfg.fal_base_url,
                    storage_url=cfg.fal_storage_url,
                    key=cfg.fal_key.get_secret_value(),
                    request_retries=cfg.fal_request_retries,
                    poll_interval_s=cfg.fal_poll_interval_s,
                )
                for fal_client in clients.clients
            ]
        )
    return providers
