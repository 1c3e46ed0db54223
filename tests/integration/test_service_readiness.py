"""Every service starts against the real servers, reports ready, serves metrics, and refuses
calls that lack the gateway's signed identity."""

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from studio_assets.main import create_app as create_assets
from studio_assets.settings import AssetsSettings
from studio_catalog.main import create_app as create_catalog
from studio_catalog.settings import CatalogSettings
from studio_contracts.assets import OutputsRegistration
from studio_contracts.events import OutputFile
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_devtools.servers import free_port, start_mongo
from studio_generation.main import create_app as create_generation
from studio_generation.main import create_worker_app
from studio_generation.settings import GenerationSettings, WorkerSettings
from studio_projects.main import create_app as create_projects
from studio_projects.settings import ProjectsSettings
from studio_runtime.ids import new_id
from studio_runtime.nats import declare_stream
from studio_storage import object_store_from_url

from tests.support.apps import identity_headers, make_settings, running
from tests.support.waiting import eventually

AppFactory = Callable[[dict[str, Any]], FastAPI]

DATA_SERVICES: dict[str, AppFactory] = {
    "projects": lambda v: create_projects(make_settings(ProjectsSettings, **v)),
    "generation-api": lambda v: create_generation(make_settings(GenerationSettings, **v)),
    "generation-worker": lambda v: create_worker_app(make_settings(WorkerSettings, **v)),
    "assets": lambda v: create_assets(make_settings(AssetsSettings, **v)),
}


@pytest.fixture
def data_values(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: Path
) -> dict[str, Any]:
    return {
        "mongo_url": mongo_url,
        "mongo_db": mongo_db_name,
        "nats_url": nats_url,
        "nats_prefix": nats_prefix,
        # Read by the assets service only; the others' settings ignore it.
        "storage_url": (tmp_path / "storage").as_uri(),
    }


@pytest.mark.parametrize("service", sorted(DATA_SERVICES))
async def test_data_service_is_ready_against_real_servers(
    service: str, data_values: dict[str, Any]
) -> None:
    if service == "generation-worker":
        # A worker is ready once it pulls from the stream the generation API declares.
        nc = await nats.connect(data_values["nats_url"])
        await declare_stream(
            nc.jetstream(), GENERATIONS_STREAM.with_prefix(data_values["nats_prefix"])
        )
        await nc.close()
    extra = {
        "assets": {"storage": "ok", "indexes": "ok"},
        "generation-api": {"indexes": "ok"},
        "generation-worker": {"storage": "ok", "consumer": "ok"},
    }.get(service, {})
    async with (
        running(DATA_SERVICES[service](data_values)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, within=10)
        assert (await client.get("/readyz")).json()["checks"] == {
            "mongo": "ok",
            "nats": "ok",
            **extra,
        }
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        metrics = await client.get("/metrics")
        assert "studio_http_requests_total" in metrics.text


async def test_catalog_is_ready_with_its_data_loaded() -> None:
    app = create_catalog(make_settings(CatalogSettings))
    async with running(app) as url, httpx.AsyncClient(base_url=url) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"


async def test_readiness_fails_when_mongodb_is_unreachable(data_values: dict[str, Any]) -> None:
    dead = f"mongodb://127.0.0.1:{free_port()}"
    app = DATA_SERVICES["projects"]({**data_values, "mongo_url": dead, "mongo_timeout_ms": 300})
    async with running(app) as url, httpx.AsyncClient(base_url=url) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["nats"] == "ok"
        assert checks["mongo"] != "ok"
        # A request that needs the database says so: 503 with Retry-After, not a 500.
        listed = await client.get("/api/v1/projects", headers=identity_headers("user-1"))
        assert listed.status_code == 503
        assert listed.headers["content-type"] == "application/problem+json"
        assert listed.headers["retry-after"] == "5"
        assert "database is unavailable" in listed.json()["detail"]


async def test_assets_starts_without_mongodb_and_is_ready_once_it_answers(
    data_values: dict[str, Any], tmp_path: Path
) -> None:
    port = free_port()
    not_yet = {**data_values, "mongo_url": f"mongodb://127.0.0.1:{port}", "mongo_timeout_ms": 300}
    async with (
        running(DATA_SERVICES["assets"](not_yet)) as url,
        httpx.AsyncClient(base_url=url, headers=identity_headers("user-1")) as client,
    ):
        waiting = await client.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.json()["checks"]["indexes"] != "ok"
        mongo = await asyncio.to_thread(start_mongo, tmp_path / "late-mongo", port)
        try:

            async def ready() -> bool:
                return (await client.get("/readyz")).status_code == 200

            await eventually(ready, within=30)
            registered = await _register_an_output(client, data_values["storage_url"])
            listed = (await client.get("/api/v1/assets")).json()["items"]
            assert [asset["id"] for asset in listed] == [registered]
        finally:
            await asyncio.to_thread(mongo.stop)


async def _register_an_output(client: httpx.AsyncClient, storage_url: str) -> str:
    """A write and its unique index at work: the worker registering a generation's output."""
    project_id, generation_id, data = new_id(), new_id(), b"RIFF-not-really-a-wav"
    key = f"user-1/{project_id}/{generation_id}/0.wav"
    await object_store_from_url(storage_url).put_bytes(key, data, content_type="audio/wav")
    output = OutputFile(
        index=0,
        object_key=key,
        media_type="audio",
        content_type="audio/wav",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
    registration = OutputsRegistration(
        generation_id=generation_id, project_id=project_id, outputs=[output]
    )
    answer = await client.put(
        f"/internal/v1/generations/{generation_id}/outputs",
        json=registration.model_dump(mode="json"),
    )
    assert answer.status_code == 200, answer.text
    asset_id: str = answer.json()["assets"][0]["id"]
    return asset_id


async def test_generation_api_starts_without_mongodb_and_is_ready_once_it_answers(
    data_values: dict[str, Any], tmp_path: Path
) -> None:
    port = free_port()
    not_yet = {**data_values, "mongo_url": f"mongodb://127.0.0.1:{port}", "mongo_timeout_ms": 300}
    async with (
        running(DATA_SERVICES["generation-api"](not_yet)) as url,
        httpx.AsyncClient(base_url=url, headers=identity_headers("user-1")) as client,
    ):
        waiting = await client.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.json()["checks"]["indexes"] != "ok"

        async def says_why() -> bool:
            checks = (await client.get("/readyz")).json()["checks"]
            return "ServerSelectionTimeoutError" in str(checks["indexes"])

        await eventually(says_why, within=10)
        mongo = await asyncio.to_thread(start_mongo, tmp_path / "late-mongo", port)
        try:
            await eventually(_ready(client), within=30)
            assert (await client.get("/readyz")).json()["checks"]["indexes"] == "ok"
            listed = await client.get("/api/v1/generations")
            assert listed.status_code == 200
            assert listed.json()["items"] == []
        finally:
            await asyncio.to_thread(mongo.stop)


async def test_generation_worker_starts_without_mongodb_and_is_ready_once_it_answers(
    data_values: dict[str, Any], tmp_path: Path
) -> None:
    nc = await nats.connect(data_values["nats_url"])
    await declare_stream(nc.jetstream(), GENERATIONS_STREAM.with_prefix(data_values["nats_prefix"]))
    await nc.close()
    port = free_port()
    not_yet = {
        **data_values,
        "mongo_url": f"mongodb://127.0.0.1:{port}",
        "mongo_timeout_ms": 300,
        # A named worker looks for jobs its previous life held as it starts (as `make run`'s
        # and a cluster's do): that too waits for MongoDB instead of failing the start.
        "worker_name": "worker-late-mongo",
    }
    async with (
        running(DATA_SERVICES["generation-worker"](not_yet)) as url,
        httpx.AsyncClient(base_url=url) as client,
    ):
        waiting = await client.get("/readyz")
        assert waiting.status_code == 503
        assert waiting.json()["checks"]["mongo"] != "ok"
        mongo = await asyncio.to_thread(start_mongo, tmp_path / "late-mongo", port)
        try:
            await eventually(_ready(client), within=30)
        finally:
            await asyncio.to_thread(mongo.stop)


def _ready(client: httpx.AsyncClient) -> Callable[[], Awaitable[bool]]:
    async def ready() -> bool:
        return (await client.get("/readyz")).status_code == 200

    return ready


async def test_generation_api_declares_its_stream(
    data_values: dict[str, Any], nats_url: str, nats_prefix: str
) -> None:
    async with running(DATA_SERVICES["generation-api"](data_values)):
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().stream_info(f"{nats_prefix.upper()}_GENERATIONS")
        finally:
            await nc.close()
    assert info.config.subjects == [f"{nats_prefix}.generation.>"]


@pytest.mark.parametrize("service", ["catalog", *sorted(DATA_SERVICES)])
async def test_internal_services_refuse_calls_without_the_gateway_identity(
    service: str, data_values: dict[str, Any]
) -> None:
    app = (
        create_catalog(make_settings(CatalogSettings))
        if service == "catalog"
        else DATA_SERVICES[service](data_values)
    )
    async with running(app) as url, httpx.AsyncClient(base_url=url) as client:
        bare = await client.get("/api/v1/models", headers={"x-user-id": "someone"})
        assert bare.status_code == 401
        assert bare.headers["content-type"] == "application/problem+json"
        assert bare.json()["detail"] == "missing internal identity"
        forged = await client.get(
            "/api/v1/models", headers=identity_headers(secret="another-secret-" + "x" * 30)
        )
        assert forged.status_code == 401
        assert "signature" in forged.json()["detail"]


async def test_catalog_accepts_a_call_with_the_gateway_identity() -> None:
    app = create_catalog(make_settings(CatalogSettings))
    async with running(app) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/api/v1/models", headers=identity_headers())
        assert response.status_code == 200
        assert response.json()["total"] > 0
