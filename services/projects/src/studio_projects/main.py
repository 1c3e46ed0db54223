"""The projects service: a user's projects, with stats kept from other services' events, and
the user's templates (`templates/`)."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from studio_contracts.subjects import PROJECTS_STREAM
from studio_runtime.clients import AssetsClient
from studio_runtime.events import EventPublisher
from studio_runtime.health import Readiness
from studio_runtime.internal_http import InternalService, internal_client
from studio_runtime.resources import create_data_service_app

from studio_projects.api import router
from studio_projects.events import ProjectEvents, stats_consumers
from studio_projects.maintenance import Maintenance
from studio_projects.repository import ProjectStore, StatsStore
from studio_projects.service import ProjectService
from studio_projects.settings import ProjectsSettings
from studio_projects.stats import StatsKeeper
from studio_projects.templates import api as templates_api
from studio_projects.templates.repository import TemplateStore
from studio_projects.templates.service import TemplateService


def create_app(settings: ProjectsSettings | None = None) -> FastAPI:
    settings = settings or ProjectsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI, _readiness: Readiness) -> AsyncIterator[None]:
        # Runs inside the MongoDB and NATS connections (app.state.db, .nats, .js).
        # The assets service is asked only when a cover is deleted (for the next one).
        # The stats consumers are not readiness checks: they bind to streams other services
        # own, and the API serves fine while those services are still starting.
        publisher = EventPublisher(app.state.js, prefix=settings.nats_prefix)
        events = ProjectEvents(publisher, lambda: bool(app.state.nats.is_connected))
        projects = ProjectService(
            ProjectStore(app.state.db), events, idempotency_ttl_s=settings.idempotency_ttl_s
        )
        async with internal_client(timeout_s=10) as client:
            assets = AssetsClient(
                InternalService.from_settings(client, settings, settings.assets_url, name="assets")
            )
            stats = StatsKeeper(StatsStore(app.state.db), assets)
            app.state.projects = projects
            app.state.stats = stats
            app.state.templates = TemplateService(
                TemplateStore(app.state.db),
                events,
                per_user=settings.templates_per_user,
                idempotency_ttl_s=settings.idempotency_ttl_s,
            )
            consumers = stats_consumers(app.state.js, stats, prefix=settings.nats_prefix)
            maintenance = Maintenance(
                app.state.db,
                projects,
                stats,
                interval_s=settings.maintenance_interval_s,
                deletion_grace_s=settings.deletion_grace_s,
            )
            for consumer in consumers:
                consumer.start()
            upkeep = asyncio.create_task(maintenance.run(), name="projects-maintenance")
            try:
                yield
            finally:
                upkeep.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await upkeep
                for consumer in consumers:
                    await consumer.stop()

    return create_data_service_app(
        name="projects",
        settings=settings,
        own_streams=[PROJECTS_STREAM],
        routers=[router, templates_api.router],
        lifespan=lifespan,
    )
