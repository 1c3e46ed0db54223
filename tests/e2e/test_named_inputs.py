"""A request can name the model's parameter each file goes to (`inputs`), through the whole
pipeline against the fake fal queue: GPT Image's mask, an image parameter after a list of
images, could not be given before (every image went to the list)."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fakes.fal_server import FakeFal
from tests.support import media_samples
from tests.support.full_stack import FullStack, Servers, full_stack, s3_storage
from tests.support.servers import S3Server
from tests.support.waiting import eventually

GPT_IMAGE_EDIT = "openai/gpt-image-2/edit"


@pytest.fixture
async def stack(
    fal: FakeFal, servers: Servers, s3: S3Server, s3_bucket: str
) -> AsyncIterator[FullStack]:
    async with full_stack(
        servers, **s3_storage(s3, s3_bucket), worker=fal.worker_settings()
    ) as running_stack:
        yield running_stack


async def uploaded(client: httpx.AsyncClient, project_id: str, name: str, width: int = 32) -> str:
    response = await client.post(
        f"/api/v1/projects/{project_id}/assets",
        files={"file": (name, media_samples.png(width, 32), "image/png")},
    )
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["id"]
    return asset_id


async def ended(client: httpx.AsyncClient, generation_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {}

    async def done() -> bool:
        record.update((await client.get(f"/api/v1/generations/{generation_id}")).json())
        return record["status"] in ("completed", "failed", "cancelled")

    await eventually(done, within=30)
    return record


async def test_a_mask_named_as_such_goes_to_the_mask_and_a_retry_keeps_it(
    stack: FullStack, fal: FakeFal
) -> None:
    async with stack.client() as client:
        project_id = (await client.post("/api/v1/projects", json={"name": "Masks"})).json()["id"]
        photo = await uploaded(client, project_id, "photo.png", width=48)
        mask = await uploaded(client, project_id, "mask.png")
        accepted = await client.post(
            f"/api/v1/projects/{project_id}/generations",
            json={
                "type": "image-to-image",
                "model_id": GPT_IMAGE_EDIT,
                "prompt": "a hat on the cat",
                "inputs": [{"asset_id": mask, "param": "mask_url"}, {"asset_id": photo}],
            },
        )
        assert accepted.status_code == 202, accepted.text
        first = accepted.json()
        assert first["input_asset_ids"] == [mask, photo]
        assert first["inputs"] == [
            {"asset_id": mask, "param": "mask_url"},
            {"asset_id": photo, "param": "image_urls"},
        ]
        assert (await ended(client, first["id"]))["status"] == "completed"

        retried = await client.post(f"/api/v1/generations/{first['id']}/retry", json={})
        assert retried.status_code == 202, retried.text
        assert retried.json()["inputs"] == first["inputs"]
        assert (await ended(client, retried.json()["id"]))["status"] == "completed"

    submits = fal.submits(GPT_IMAGE_EDIT)
    assert len(submits) == 2
    for submit in submits:
        # The mask is its own input, the photo the only one to edit (before: both were edited).
        assert len(submit.json["image_urls"]) == 1
        assert submit.json["mask_url"]
        assert submit.json["mask_url"] not in submit.json["image_urls"]


async def test_files_named_wrongly_or_given_twice_over_are_refused_before_anything_is_stored(
    stack: FullStack,
) -> None:
    async with stack.client() as client:
        project_id = (await client.post("/api/v1/projects", json={"name": "Masks"})).json()["id"]
        photo = await uploaded(client, project_id, "photo.png")
        url = f"/api/v1/projects/{project_id}/generations"
        body = {"type": "image-to-image", "model_id": GPT_IMAGE_EDIT, "prompt": "a hat"}

        unknown = await client.post(
            url, json={**body, "inputs": [{"asset_id": photo, "param": "mask"}]}
        )
        assert unknown.status_code == 422, unknown.text
        [error] = unknown.json()["errors"]
        assert error["loc"] == ["body", "inputs", 0, "param"]
        assert error["msg"] == "this model has no file input 'mask'; it takes image_urls, mask_url"

        both = await client.post(
            url,
            json={**body, "input_asset_ids": [photo], "inputs": [{"asset_id": photo}]},
        )
        assert both.status_code == 422, both.text
        assert "input_asset_ids or as inputs, not both" in both.json()["detail"]

        listed = await client.get(f"/api/v1/projects/{project_id}/generations")
        assert listed.json()["items"] == []
