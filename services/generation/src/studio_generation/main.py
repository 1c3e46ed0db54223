"""The generation service's two processes: `api` (accepts and tracks generations) and `worker`
(runs them). Both are built here; `python -m studio_generation api|worker` picks one."""

from fastapi import FastAPI
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_runtime.resources import create_data_service_app

from studio_generation.settings import GenerationSettings, WorkerSettings


def create_app(settings: GenerationSettings | None = None) -> FastAPI:
    settings = settings or GenerationSettings()
    # The API process owns the GENERATIONS stream; workers only bind to it.
    return create_data_service_app(
        name="generation-api", settings=settings, own_streams=[GENERATIONS_STREAM]
    )


def create_worker_app(settings: WorkerSettings | None = None) -> FastAPI:
    settings = settings or WorkerSettings()
    return create_data_service_app(name="generation-worker", settings=settings)
