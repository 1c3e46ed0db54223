"""The generation service's two processes: `api` (accepts and tracks generations) and `worker`
(runs them). Both are built here; `python -m studio_generation api|worker` picks one."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from studio_contracts import subjects
from studio_contracts.events import GenerationRequested, ProjectDeleted
from studio_runtime.client_pool import ClientPool
from studio_runtime.events import ConsumerSpec, EventConsumer, EventPublisher
from studio_runtime.health import Readiness
from studio_runtime.internal_http import InternalService, ProjectsClient
from studio_runtime.resources import create_data_service_app

from studio_generation.api import router
from studio_generation.cancels import CancelBroadcaster, CancelSignals
from studio_generation.clients import AssetsClient, CatalogClient
from studio_generation.events import GenerationEvents
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

PROJECT_CLEANUP = ConsumerSpec(
    stream=subjects.PROJECTS_STREAM,
    durable="generation-project-cleanup",
    filter_subject=subjects.PROJECT_DELETED,
    concurrency=4,
)


def create_app(settings: GenerationSettings | None = None) -> FastAPI:
    cfg = settings or GenerationSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        repository = GenerationRepository(app.state.db)
        await repository.ensure_indexes()
        # Internal calls only: no proxy from the environment applies to them.
        async with httpx.AsyncClient(timeout=15, trust_env=False) as client:
            secret = cfg.internal_secret.get_secret_value()
            projects = CachedProjects(
                ProjectsClient(
                    InternalService(client, cfg.projects_url, secret=secret, name="projects")
                )
            )
            await projects.follow_deletions(app.state.nats, prefix=cfg.nats_prefix)
            service = GenerationService(
                repository,
                CatalogClient(
                    InternalService(client, cfg.catalog_url, secret=secret, name="catalog")
                ),
                AssetsClient(InternalService(client, cfg.assets_url, secret=secret, name="assets")),
                projects,
                GenerationEvents(EventPublisher(app.state.js, prefix=cfg.nats_prefix)),
                CancelBroadcaster(app.state.nats, prefix=cfg.nats_prefix),
                cfg,
            )
            app.state.generations = service
            cleanup = EventConsumer(
                app.state.js,
                PROJECT_CLEANUP,
                ProjectDeleted,
                service.delete_project_generations,
                prefix=cfg.nats_prefix,
            )
            cleanup.start()
            relay = asyncio.create_task(
                run_relay(
                    service,
                    interval_s=cfg.relay_interval_s,
                    min_age_s=cfg.relay_min_age_s,
                    requeue_after_s=cfg.requeue_after_s,
                )
            )
            try:
                yield
            finally:
                relay.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await relay
                await cleanup.stop()
                await projects.stop()

    # The API process owns the GENERATIONS stream; workers only bind to it.
    return create_data_service_app(
        name="generation-api",
        settings=cfg,
        own_streams=[subjects.GENERATIONS_STREAM],
        routers=[router],
        lifespan=lifespan,
    )


def create_worker_app(settings: WorkerSettings | None = None) -> FastAPI:
    cfg = settings or WorkerSettings()
    spec = ConsumerSpec(
        stream=subjects.GENERATIONS_STREAM,
        durable=subjects.WORKERS_CONSUMER,
        filter_subject=subjects.GENERATION_REQUESTED,
        ack_wait_s=max(cfg.ack_wait_s, cfg.heartbeat_s * 3),
        max_deliver=cfg.max_attempts + 10,
        max_ack_pending=20_000,
        batch=min(cfg.worker_concurrency, 256),
        concurrency=cfg.worker_concurrency,
        heartbeat_s=cfg.heartbeat_s,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        store = await cfg.open_object_store()
        readiness.add("storage", store.ping)
        repository = GenerationRepository(app.state.db)
        # fal's queue is polled for every job in flight, and its files fetched: small pools,
        # about 32 jobs each.
        provider_clients = ClientPool(
            shards=max(1, cfg.worker_concurrency // 32),
            connections_per_shard=48,
            timeout_s=60,
            trust_env=True,
        )
        limits = httpx.Limits(
            max_connections=cfg.worker_concurrency * 2, max_keepalive_connections=64
        )
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            secret = cfg.internal_secret.get_secret_value()
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
                        for fal_client in provider_clients.clients
                    ]
                )
            cancels = CancelSignals(app.state.nats, prefix=cfg.nats_prefix)
            await cancels.start()
            worker = Worker(
                repository,
                GenerationEvents(EventPublisher(app.state.js, prefix=cfg.nats_prefix)),
                providers,
                OutputWriter(store, provider_clients, max_bytes=cfg.max_output_bytes),
                AssetsClient(InternalService(client, cfg.assets_url, secret=secret, name="assets")),
                cancels,
                cfg,
            )
            consumer = EventConsumer(
                app.state.js, spec, GenerationRequested, worker.handle, prefix=cfg.nats_prefix
            )
            consumer.start()
            readiness.add("consumer", consumer.ready)
            try:
                yield
            finally:
                # Jobs in flight get the whole shutdown grace to finish before they are handed
                # to another worker (the orchestrator waits that long, plus margin).
                await consumer.stop(grace_s=cfg.shutdown_grace_s)
                await cancels.stop()
                await provider_clients.aclose()

    return create_data_service_app(name="generation-worker", settings=cfg, lifespan=lifespan)
