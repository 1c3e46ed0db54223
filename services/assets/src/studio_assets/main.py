"""The assets service: uploads, generation outputs, downloads, and their object storage."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from studio_contracts.subjects import ASSETS_STREAM
from studio_runtime.clients import ProjectsClient
from studio_runtime.events import EventPublisher
from studio_runtime.health import Readiness
from studio_runtime.indexes import BackgroundIndexes
from studio_runtime.internal_http import InternalService, internal_client
from studio_runtime.resources import create_data_service_app

from studio_assets import events, outputs_api
from studio_assets.api import router
from studio_assets.files import AssetFiles
from studio_assets.repository import AssetRepository
from studio_assets.service import AssetService
from studio_assets.settings import AssetsSettings


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    settings = settings or AssetsSettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        # Runs inside the MongoDB and NATS connections (app.state.db, .nats, .js), which are
        # not waited for: nothing here needs either server to answer yet.
        store = await cfg.open_object_store()
        readiness.add("storage", store.ping)
        repository = AssetRepository(app.state.db)
        indexes = BackgroundIndexes(repository.ensure_indexes)
        readiness.add("indexes", indexes.ready)
        async with internal_client(timeout_s=10) as client:
            projects = ProjectsClient(
                InternalService.from_settings(client, cfg, cfg.projects_url, name="projects")
            )
            publisher = EventPublisher(app.state.js, prefix=cfg.nats_prefix)
            service = AssetService(repository, store, events.AssetEvents(publisher), projects, cfg)
            app.state.assets = service
            app.state.files = AssetFiles(repository, store, presign_expiry_s=cfg.presign_expiry_s)
            # Not readiness checks: the streams belong to other services, and uploads and
            # downloads work whether or not those services are up yet.
            consumers = events.consumers(
                app.state.js,
                on_project_deleted=service.delete_project_assets,
                prefix=cfg.nats_prefix,
            )
            for consumer in consumers:
                consumer.start()
            registrations = outputs_api.responder(
                app.state.nats,
                service,
                secret=cfg.internal_secret.get_secret_value(),
                prefix=cfg.nats_prefix,
            )
            await registrations.start()
            background = [
                asyncio.create_task(indexes.ensure(), name="assets-indexes"),
                asyncio.create_task(
                    events.retire_old_consumers(app.state.js, prefix=cfg.nats_prefix),
                    name="assets-retire-consumers",
                ),
                asyncio.create_task(
                    events.run_announcer(
                        service.announce_deferred, interval_s=cfg.announce_interval_s
                    ),
                    name="assets-announcer",
                ),
            ]
            try:
                yield
            finally:
                await registrations.stop(grace_s=cfg.shutdown_grace_s)
                for task in background:
                    task.cancel()
                for task in background:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                for consumer in consumers:
                    await consumer.stop()

    return create_data_service_app(
        name="assets",
        settings=settings,
        own_streams=[ASSETS_STREAM],
        routers=[router, outputs_api.router],
        lifespan=lifespan,
    )
