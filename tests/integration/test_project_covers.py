"""A project's cover when its image outputs are deleted: the projects and assets services
together, against the session's real servers. The cover is the newest image output; deleting
it makes the newest one left the cover (docs/projects.md, "Stats from events")."""

import socket
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from studio_contracts.assets import OutputsRegistration
from studio_contracts.events import AssetDeleted
from studio_projects.repository import StatsStore
from studio_projects.stats import StatsKeeper
from studio_runtime.clients import AssetsClient
from studio_runtime.errors import ServiceUnavailable
from studio_runtime.events import delivery
from studio_runtime.ids import new_id
from studio_runtime.internal_http import InternalService

from tests.support.apps import INTERNAL_SECRET, identity_headers
from tests.support.assets_stack import AssetsStack
from tests.support.consumers import consumers_idle
from tests.support.media_samples import png
from tests.support.waiting import eventually

USER = "user-1"


async def test_deleting_the_cover_makes_the_newest_image_output_left_the_cover(
    stack: AssetsStack,
) -> None:
    project = await stack.new_project()
    async with stack.client() as assets, _projects(stack) as projects:
        older = await _image_output(stack, assets, project, colour=(10, 10, 10))
        newer = await _image_output(stack, assets, project, colour=(20, 20, 20))
        # An upload is no result: never the cover, however new.
        uploaded = await assets.post(
            f"/api/v1/projects/{project}/assets",
            files={"file": ("sketch.png", png(colour=(30, 30, 30)), "image/png")},
        )
        assert uploaded.status_code == 201, uploaded.text
        await eventually(lambda: _cover_is(projects, project, newer))

        assert (await assets.delete(f"/api/v1/assets/{newer}")).status_code == 204
        await eventually(lambda: _cover_is(projects, project, older))

        assert (await assets.delete(f"/api/v1/assets/{older}")).status_code == 204
        await eventually(lambda: _cover_is(projects, project, None))


async def test_a_redelivery_after_the_assets_service_was_away_finds_the_next_cover(
    stack: AssetsStack, mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> None:
    """The first delivery clears the cover and cannot ask for the next one: it fails, to be
    delivered again, and the redelivery (its count already made) still finds it. The deleted
    asset is still listed when the redelivery asks: its tombstone keeps it from the cover."""
    project = await stack.new_project()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_url)
    store = StatsStore(mongo[f"{mongo_db_name}_p"])
    async with (
        stack.client() as assets,
        _projects(stack) as projects,
        httpx.AsyncClient(timeout=30) as http,
    ):
        older = await _image_output(stack, assets, project, colour=(10, 10, 10))
        newer = await _image_output(stack, assets, project, colour=(20, 20, 20))
        await eventually(lambda: _cover_is(projects, project, newer))
        # Every step of every handler done: nothing but this test touches the cover now.
        await eventually(lambda: consumers_idle(nats_url, nats_prefix))
        deleted = AssetDeleted(user_id=USER, project_id=project, asset_id=newer)
        with socket.socket() as closed:  # a port that refuses: bound, never listening
            closed.bind(("127.0.0.1", 0))
            away = StatsKeeper(
                store, _assets_at(http, f"http://127.0.0.1:{closed.getsockname()[1]}")
            )
            with pytest.raises(ServiceUnavailable):
                await away.asset_deleted(deleted)
        assert await _cover_is(projects, project, None)
        assert not await store.was_applied(deleted.event_id)  # so it is not skipped next time

        with delivery(2):
            await StatsKeeper(store, _assets_at(http, stack.assets_url)).asset_deleted(deleted)
        assert await _cover_is(projects, project, older)
        assert (await projects.get(f"/api/v1/projects/{project}")).json()["asset_count"] == 1
    await mongo.close()


def _projects(stack: AssetsStack) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=stack.projects_url, headers=identity_headers(USER))


def _assets_at(http: httpx.AsyncClient, url: str) -> AssetsClient:
    return AssetsClient(InternalService(http, url, secret=INTERNAL_SECRET, name="assets", ttl_s=60))


async def _image_output(
    stack: AssetsStack, assets: httpx.AsyncClient, project: str, colour: tuple[int, int, int]
) -> str:
    """A generation's image output, registered as the worker does; its asset id."""
    generation_id = new_id()
    output = await stack.stored_output(project, generation_id, png(colour=colour), "image/png")
    registration = OutputsRegistration(
        generation_id=generation_id, project_id=project, prompt="a square", outputs=[output]
    )
    response = await assets.put(
        f"/internal/v1/generations/{generation_id}/outputs",
        json=registration.model_dump(mode="json"),
    )
    assert response.status_code == 200, response.text
    asset_id: str = response.json()["assets"][0]["id"]
    return asset_id


async def _cover_is(projects: httpx.AsyncClient, project: str, asset_id: str | None) -> bool:
    response = await projects.get(f"/api/v1/projects/{project}")
    assert response.status_code == 200, response.text
    cover: str | None = response.json()["cover_asset_id"]
    return cover == asset_id
