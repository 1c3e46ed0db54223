"""The projects service."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from studio_contracts.subjects import PROJECTS_STREAM
from studio_runtime.app import create_service_app
from studio_runtime.health import Readiness
from studio_runtime.resources import mongo_and_nats

from studio_projects.settings import ProjectsSettings


def create_app(settings: ProjectsSettings | None = None) -> FastAPI:
    settings = settings or ProjectsSettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        async with mongo_and_nats(
            app, readiness, cfg, name="projects", own_streams=[PROJECTS_STREAM]
        ):
            yield

    return create_service_app(name="projects", settings=settings, lifespan=lifespan)
