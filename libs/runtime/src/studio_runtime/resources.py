"""Connecting a service to MongoDB and NATS for its lifetime, with readiness checks."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial

import structlog
from fastapi import APIRouter, FastAPI
from studio_contracts.subjects import StreamSpec

from studio_runtime.app import ServiceLifespan, create_service_app
from studio_runtime.health import Readiness
from studio_runtime.mongo import create_mongo_client, install_database_error_handler, ping_mongo
from studio_runtime.nats import connect_nats, declare_stream, ping_nats
from studio_runtime.settings import MongoSettings, NatsSettings, ServiceSettings

log = structlog.get_logger(__name__)


class DataServiceSettings(MongoSettings, NatsSettings):
    """Settings of a service that keeps records in MongoDB and talks over NATS."""


class DataServiceAppSettings(ServiceSettings, DataServiceSettings):
    """The full settings of such a service's app."""


@asynccontextmanager
async def mongo_and_nats(
    app: FastAPI,
    readiness: Readiness,
    settings: DataServiceSettings,
    *,
    name: str,
    own_streams: Sequence[StreamSpec] = (),
) -> AsyncIterator[None]:
    """Sets `app.state.mongo`, `.db`, `.nats` and `.js`; declares the streams this service owns."""
    mongo = create_mongo_client(settings, app_name=name)
    nc = await connect_nats(settings, name=name)
    try:
        js = nc.jetstream()
        for spec in own_streams:
            await declare_stream(
                js, spec.with_prefix(settings.nats_prefix), replicas=settings.nats_stream_replicas
            )
        app.state.mongo = mongo
        app.state.db = mongo[settings.mongo_db]
        app.state.nats = nc
        app.state.js = js
        readiness.add("mongo", partial(ping_mongo, mongo))
        readiness.add("nats", partial(ping_nats, nc))
        yield
    finally:
        if nc.is_connected:
            await nc.drain()
        await mongo.close()
        log.info("connections.closed")


def create_data_service_app(
    *,
    name: str,
    settings: DataServiceAppSettings,
    own_streams: Sequence[StreamSpec] = (),
    routers: Sequence[APIRouter] = (),
    lifespan: ServiceLifespan | None = None,
) -> FastAPI:
    """A service app connected to MongoDB and NATS for its lifetime; `lifespan`, if given, runs
    inside those connections (to start subscribers, build repositories, ...)."""

    @asynccontextmanager
    async def connected(app: FastAPI, readiness: Readiness) -> AsyncIterator[None]:
        async with mongo_and_nats(app, readiness, settings, name=name, own_streams=own_streams):
            if lifespan is None:
                yield
            else:
                async with lifespan(app, readiness):
                    yield

    app = create_service_app(name=name, settings=settings, routers=routers, lifespan=connected)
    install_database_error_handler(app)
    return app
