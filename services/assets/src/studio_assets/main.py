"""The assets service."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from studio_contracts.subjects import ASSETS_STREAM
from studio_runtime.app import create_service_app
from studio_runtime.health import Readiness
from studio_runtime.resources import mongo_and_nats

from studio_assets.settings import AssetsSettings


def create_app(settings: AssetsSettings | None = None) -> FastAPI:
    settings = settings or AssetsSettings()
    cfg = settings

    @asynccontextmanager
    async def lifespan(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        async with mongo_and_nats(app, readiness, cfg, name="assets", own_streams=[ASSETS_STREAM]):
            yield

    return create_service_app(name="assets", settings=settings, lifespan=lifespan)
