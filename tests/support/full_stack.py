"""Every service running in the test's event loop on real sockets, against the session's real
servers: catalog, projects, assets, generation (api and workers) and the gateway."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from studio_assets.main import create_app as create_assets
from studio_assets.settings import AssetsSettings
from studio_catalog.main import create_app as create_catalog
from studio_catalog.settings import CatalogSettings
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings
from studio_generation.main import create_app as create_generation
from studio_generation.main import create_worker_app
from studio_generation.settings import GenerationSettings, WorkerSettings
from studio_projects.main import create_app as create_projects
from studio_projects.settings import ProjectsSettings

from tests.support.apps import identity_headers, make_settings, reserved_url, running
from tests.support.servers import S3Server


@dataclass
class FullStack:
    urls: dict[str, str]
    common: dict[str, Any]
    worker_settings: dict[str, Any]
    exits: AsyncExitStack
    gateway_settings: dict[str, Any] = field(default_factory=dict)
    workers: list[str] = field(default_factory=list)

    @property
    def gateway(self) -> str:
        return self.urls["gateway"]

    def client(self) -> httpx.AsyncClient:
        """The public API, as the gateway's local user."""
        return httpx.AsyncClient(base_url=self.gateway, timeout=30)

    def service(self, name: str, user_id: str) -> httpx.AsyncClient:
        """A service called directly as another user (the gateway has one user until accounts)."""
        return httpx.AsyncClient(
            base_url=self.urls[name], headers=identity_headers(user_id), timeout=30
        )

    async def add_gateway(self) -> str:
        """Another gateway instance in front of the same services (as behind a load balancer)."""
        app = create_gateway(make_settings(GatewaySettings, **self.gateway_settings))
        return await self.exits.enter_async_context(running(app))

    async def add_worker(self, **overrides: Any) -> str:
        app = create_worker_app(
            make_settings(WorkerSettings, **{**self.worker_settings, **overrides})
        )
        url = await self.exits.enter_async_context(running(app))
        self.workers.append(url)
        return url


@dataclass(frozen=True)
class Servers:
    """The session's real servers and one test's database name and subject prefix."""

    mongo_url: str
    mongo_db_name: str
    nats_url: str
    nats_prefix: str
    nats_stream_replicas: int = 1
    """3 against a JetStream cluster (tests/support/nats_cluster.py)."""


@asynccontextmanager
async def full_stack(
    servers: Servers,
    *,
    storage_url: str,
    workers: int = 1,
    worker: dict[str, Any] | None = None,
    storage_keys: dict[str, str] | None = None,
    gateway: dict[str, Any] | None = None,
    generation_api: dict[str, Any] | None = None,
) -> AsyncIterator[FullStack]:
    mongo_db_name = servers.mongo_db_name
    common: dict[str, Any] = {
        "mongo_url": servers.mongo_url,
        "nats_url": servers.nats_url,
        "nats_prefix": servers.nats_prefix,
        "nats_stream_replicas": servers.nats_stream_replicas,
    }
    keys = storage_keys or {}
    async with AsyncExitStack() as exits:

        async def start(app: FastAPI) -> str:
            return await exits.enter_async_context(running(app))

        urls: dict[str, str] = {}
        # Hosted models are offered when the workers can run them, as in production.
        hosted = bool((worker or {}).get("fal_key"))
        urls["catalog"] = await start(
            create_catalog(make_settings(CatalogSettings, fal_configured=hosted))
        )
        # Each asks the other: projects starts knowing where assets will listen.
        assets_socket, assets_url = reserved_url()
        exits.callback(assets_socket.close)
        urls["projects"] = await start(
            create_projects(
                make_settings(
                    ProjectsSettings,
                    mongo_db=f"{mongo_db_name}_p",
                    assets_url=assets_url,
                    **common,
                )
            )
        )
        urls["assets"] = await exits.enter_async_context(
            running(
                create_assets(
                    make_settings(
                        AssetsSettings,
                        mongo_db=f"{mongo_db_name}_a",
                        storage_url=storage_url,
                        projects_url=urls["projects"],
                        announce_interval_s=0.5,
                        **keys,
                        **common,
                    )
                ),
                listening=assets_socket,
            )
        )
        links = {
            "catalog_url": urls["catalog"],
            "projects_url": urls["projects"],
            "assets_url": urls["assets"],
        }
        generation = {"mongo_db": f"{mongo_db_name}_g", **links, **common}
        urls["generation"] = await start(
            create_generation(
                make_settings(
                    GenerationSettings,
                    **generation,
                    **{
                        "relay_interval_s": 0.5,
                        "relay_min_age_s": 0.5,
                        "requeue_after_s": 1,
                        # Tests poll and submit faster than people: limits only where tested.
                        "max_active_per_user": 0,
                        **(generation_api or {}),
                    },
                )
            )
        )
        stack = FullStack(
            urls=urls,
            common=common,
            worker_settings={
                **generation,
                "storage_url": storage_url,
                "heartbeat_s": 0.5,
                **keys,
                **(worker or {}),
            },
            exits=exits,
        )
        for _ in range(workers):
            await stack.add_worker()
        stack.gateway_settings = {
            **links,
            "generation_url": urls["generation"],
            "mongo_db": f"{mongo_db_name}_gw",
            **common,
            "requests_per_minute": 0,
            **(gateway or {}),
        }
        urls["gateway"] = await stack.add_gateway()
        yield stack


def s3_storage(s3: S3Server, bucket: str) -> dict[str, Any]:
    """`full_stack` arguments that put every file in `bucket` on the S3 test server."""
    return {
        "storage_url": f"s3://{bucket}?endpoint={s3.endpoint}&region={s3.region}",
        "storage_keys": {"storage_access_key": s3.access_key, "storage_secret_key": s3.secret_key},
    }
