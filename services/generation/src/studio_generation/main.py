"""The generation service's two processes: `api` (accepts and tracks generations) and `worker`
(runs them). Both are built here; `python -m studio_generation api|worker` picks one."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_runtime.app import create_service_app
from studio_runtime.health import Readiness
from studio_runtime.resources import mongo_and_nats

from studio_generation.settings import GenerationSettings, WorkerSettings


def create_app(settings: GenerationSettings | None = None) -> FastAPI:
    settings = settings or GenerationSettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        # The API process owns the GENERATIONS stream; workers only bind to it.
        async with mongo_and_nats(
            app, readiness, cfg, name="generation-api", own_streams=[GENERATIONS_STREAM]
        ):
            yield

    return create_service_app(name="generation-api", settings=settings, lifespan=lifespan)


def create_worker_app(settings: WorkerSettings | None = None) -> FastAPI:
    settings = settings or WorkerSettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        async with mongo_and_nats(app, readiness, cfg, name="generation-worker"):
            yield

    return create_service_app(name="generation-worker", settings=settings, lifespan=lifespan)
