"""The projects and assets services running together against the session's real servers."""

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from nats.aio.client import Client as NATS
from studio_assets.main import create_app as create_assets
from studio_assets.settings import AssetsSettings
from studio_contracts.events import OutputFile
from studio_contracts.generations import output_asset_id
from studio_gateway.main import create_app as create_gateway
from studio_gateway.settings import GatewaySettings
from studio_projects.main import create_app as create_projects
from studio_projects.settings import ProjectsSettings
from studio_runtime.clients import AssetsClient
from studio_runtime.internal_http import InternalService
from studio_runtime.rpc import RpcClient
from studio_storage import ObjectStore, object_store_from_url

from tests.support.apps import (
    INTERNAL_SECRET,
    identity_headers,
    make_settings,
    reserved_url,
    running,
)

ASSETS_UPLOAD_LIMIT = 300 * 1024
"""The largest file the integration tests' assets service takes (`tests/integration/conftest.py`)."""


@dataclass
class AssetsStack:
    projects_url: str
    assets_url: str
    settings: AssetsSettings

    def client(self, user_id: str = "user-1") -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.assets_url, headers=identity_headers(user_id), timeout=30
        )

    async def new_project(self, user_id: str = "user-1", name: str = "Project") -> str:
        async with httpx.AsyncClient(
            base_url=self.projects_url, headers=identity_headers(user_id)
        ) as client:
            response = await client.post("/api/v1/projects", json={"name": name})
            response.raise_for_status()
            project_id: str = response.json()["id"]
            return project_id

    def store(self) -> ObjectStore:
        settings = self.settings
        return object_store_from_url(
            settings.storage_url,
            access_key=settings.storage_access_key,
            secret_key=settings.storage_secret_key.get_secret_value(),
        )

    async def stored_output(
        self,
        project: str,
        generation_id: str,
        data: bytes,
        content_type: str,
        width: int | None = None,
        height: int | None = None,
    ) -> OutputFile:
        """A generation's first output as the worker leaves it: stored, described for
        registering."""
        media_type, extension = content_type.split("/")
        key = f"user-1/{project}/{generation_id}/0.{extension}"
        await self.store().put_bytes(key, data, content_type=content_type)
        return OutputFile(
            index=0,
            asset_id=output_asset_id(generation_id, 0),
            object_key=key,
            media_type=media_type,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            width=width,
            height=height,
        )


def worker_assets_client(
    nc: NATS, http: httpx.AsyncClient, *, base_url: str, prefix: str, timeout_s: float = 30
) -> AssetsClient:
    """The assets client as the worker has it: HTTP to `base_url`, registrations over NATS
    (under `prefix`) first, waiting `timeout_s` for their answer."""
    service = InternalService(http, base_url, secret=INTERNAL_SECRET, name="assets", ttl_s=60)
    calls = RpcClient(
        nc, service="assets", secret=INTERNAL_SECRET, ttl_s=60, timeout_s=timeout_s, prefix=prefix
    )
    return AssetsClient(service, calls)


@asynccontextmanager
async def assets_stack(
    *,
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
    storage_url: str,
    **assets_settings: Any,
) -> AsyncIterator[AssetsStack]:
    common = {"mongo_url": mongo_url, "nats_url": nats_url, "nats_prefix": nats_prefix}
    # Each asks the other: projects starts knowing where assets will listen.
    assets_socket, assets_url = reserved_url()
    projects = create_projects(
        make_settings(
            ProjectsSettings, mongo_db=f"{mongo_db_name}_p", assets_url=assets_url, **common
        )
    )
    try:
        async with running(projects) as projects_url:
            settings = make_settings(
                AssetsSettings,
                mongo_db=f"{mongo_db_name}_a",
                storage_url=storage_url,
                projects_url=projects_url,
                **common,
                **assets_settings,
            )
            async with running(create_assets(settings), listening=assets_socket):
                yield AssetsStack(projects_url, assets_url, settings)
    finally:
        assets_socket.close()


@asynccontextmanager
async def gateway_over_assets(
    mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str, tmp_path: object
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway in front of the projects and assets services (no generation): its client."""
    async with assets_stack(
        mongo_url=mongo_url,
        mongo_db_name=mongo_db_name,
        nats_url=nats_url,
        nats_prefix=nats_prefix,
        storage_url=f"file://{tmp_path}/storage",
    ) as stack:
        settings = make_settings(
            GatewaySettings,
            projects_url=stack.projects_url,
            assets_url=stack.assets_url,
            mongo_url=mongo_url,
            mongo_db=f"{mongo_db_name}_gw",
            nats_url=nats_url,
            nats_prefix=nats_prefix,
        )
        async with (
            running(create_gateway(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=30) as client,
        ):
            yield client
