"""The assets service: uploads, generation outputs, downloads, and their object storage."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from studio_contracts.subjects import ASSETS_STREAM
from studio_runtime.events import EventPublisher
from studio_runtime.health import Readiness
from studio_runtime.internal_http import InternalService, ProjectsClient
from studio_runtime.resources import create_data_service_app

from studio_assets import outputs_api
from studio_assets.announcer import run_announcer
from studio_assets.api import router
from studio_assets.events import build_consumers, retire_old_consumers
from studio_assets.repository import AssetRepository
from studio_assets.service import AssetService
from studio_assets.settings import AssetsSettings


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    settings = settings or AssetsSettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        store = await cfg.open_object_store()
        readiness.add("storage", store.ping)
        repository = AssetRepository(app.state.db)
        await repository.ensure_indexes()
        async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
            projects = ProjectsClient(
                InternalService(
                    client,
                    cfg.projects_url,
                    secret=cfg.internal_secret.get_secret_value(),
                    name="projects",
                )
            )
            publisher = EventPublisher(app.state.js, prefix=cfg.nats_prefix)
            service = AssetService(repository, store, publisher, projects, cfg)
            app.state.assets = service
            with contextlib.suppress(Exception):  # best effort: NATS may be down now
                await asyncio.wait_for(
                    retire_old_consumers(app.state.js, prefix=cfg.nats_prefix), 2
                )
            consumers = build_consumers(app.state.js, service, prefix=cfg.nats_prefix)
            # Not readiness checks: the streams belong to other services, and uploads and
            # downloads work whether or not those services are up yet.
            for consumer in consumers:
                consumer.start()
            announcer = asyncio.create_task(
                run_announcer(service, interval_s=cfg.announce_interval_s)
            )
            try:
                yield
            finally:
                announcer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await announcer
                for consumer in consumers:
                    await consumer.stop()

    return create_data_service_app(
        name="assets",
        settings=settings,
        own_streams=[ASSETS_STREAM],
        routers=[router, outputs_api.router],
        lifespan=lifespan,
    )
