"""QA 13 of the hosted-model workflows, through the whole pipeline against the fake fal queue: a
result file fal's CDN no longer has fails the generation at once, saying so (it was retried five
times over about 30 s), and an image fal's safety checker flagged (and sent black) says so on
its output."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fakes.fal_server import ALWAYS, FakeFal
from tests.support import media_samples
from tests.support.full_stack import FullStack, Servers, full_stack, s3_storage
from tests.support.servers import S3Server
from tests.support.sse import listening
from tests.support.waiting import eventually

SCHNELL = "fal-ai/flux/schnell"
BIREFNET = "fal-ai/birefnet/v2"


@pytest.fixture
async def stack(
    fal: FakeFal, servers: Servers, s3: S3Server, s3_bucket: str
) -> AsyncIterator[FullStack]:
    # The worker's shipped attempts (5): a missing file must not use them.
    async with full_stack(
        servers, **s3_storage(s3, s3_bucket), worker=fal.worker_settings()
    ) as running_stack:
        yield running_stack


async def generated(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    """The generation `body` asks for, in a project of its own, once it has ended."""
    project = (await client.post("/api/v1/projects", json={"name": "qa13"})).json()["id"]
    accepted = await client.post(f"/api/v1/projects/{project}/generations", json=body)
    assert accepted.status_code == 202, accepted.text
    record: dict[str, Any] = accepted.json()

    async def ended() -> bool:
        record.update((await client.get(f"/api/v1/generations/{record['id']}")).json())
        return record["status"] in ("completed", "failed", "cancelled")

    await eventually(ended, within=30)
    return record


async def test_a_result_file_fal_no_longer_has_fails_the_generation_at_once(
    stack: FullStack, fal: FakeFal
) -> None:
    fal.script(SCHNELL, file_faults=ALWAYS, file_fault_status=404)
    async with stack.client() as client:
        done = await generated(
            client, {"type": "text-to-image", "model_id": SCHNELL, "prompt": "a heron"}
        )

    # Before: back to pending, tried 5 times over ~30 s, then "The result file could not be
    # fetched from fal.ai (HTTP 404). The studio tried 5 times; try again in a while."
    assert done["status"] == "failed", done
    assert done["attempts"] == 1
    assert done["error"] == {
        "code": "provider_output_missing",
        "message": "The model ran, but fal.ai's result file was not found (HTTP 404); "
        "try the generation again.",
    }
    first, repeat = fal.requests("GET", "/files/")
    assert repeat.at - first.at < 2


async def test_an_image_fals_safety_checker_flagged_says_so_on_its_output(
    stack: FullStack, fal: FakeFal
) -> None:
    fal.script(SCHNELL, nsfw=(True, False))
    async with stack.client() as client, listening(client) as events:
        done = await generated(
            client,
            {
                "type": "text-to-image",
                "model_id": SCHNELL,
                "prompt": "a heron",
                "params": {"num_images": 2},
            },
        )
        listed = (await client.get("/api/v1/generations", params={"limit": 1})).json()
        completed = await events.wait_for(
            lambda e: e.event == "generation.completed" and done["id"] in e.data
        )

    assert done["status"] == "completed", done
    # Before: no such field; the first image came black with no word.
    assert [output["safety_flagged"] for output in done["outputs"]] == [True, False]
    assert [o["safety_flagged"] for o in listed["items"][0]["outputs"]] == [True, False]
    # The live card is drawn from the event: it says so too (events 1.6.0).
    assert [o["safety_flagged"] for o in completed.json()["outputs"]] == [True, False]


async def test_outputs_of_a_model_without_a_prompt_are_named_after_their_input(
    stack: FullStack,
) -> None:
    async with stack.client() as client:
        project = (await client.post("/api/v1/projects", json={"name": "cut-outs"})).json()["id"]
        uploaded = await client.post(
            f"/api/v1/projects/{project}/assets",
            files={"file": ("Cat on a sofa.png", media_samples.png(32, 32))},
        )
        assert uploaded.status_code == 201, uploaded.text
        accepted = await client.post(
            f"/api/v1/projects/{project}/generations",
            json={
                "type": "image-to-image",
                "model_id": BIREFNET,
                "input_asset_ids": [uploaded.json()["id"]],
            },
        )
        assert accepted.status_code == 202, accepted.text
        generation_id = accepted.json()["id"]

        async def completed() -> bool:
            got = (await client.get(f"/api/v1/generations/{generation_id}")).json()
            return bool(got["status"] == "completed")

        await eventually(completed, within=30)
        outputs = (await client.get(f"/api/v1/generations/{generation_id}")).json()["outputs"]
        asset = (await client.get(f"/api/v1/assets/{outputs[0]['asset_id']}")).json()
        prompted = await generated(
            client, {"type": "text-to-image", "model_id": SCHNELL, "prompt": "a heron"}
        )
        named = (await client.get(f"/api/v1/assets/{prompted['outputs'][0]['asset_id']}")).json()

    # Before: "<generation id>-1.png".
    assert asset["name"] == "cat-on-a-sofa-birefnet-1.png", asset
    assert named["name"] == "a-heron-1.png"  # a prompt still names its outputs
