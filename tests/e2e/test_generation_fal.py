"""Hosted models through the whole pipeline, against the fake fal queue server: the worker
submits, follows the queue, fetches the media, stores it, and the assets service registers it."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fakes.fal_server import FakeFal, field_error
from tests.support import media_samples
from tests.support.full_stack import FullStack, Servers, full_stack, s3_storage
from tests.support.servers import S3Server
from tests.support.waiting import eventually


@pytest.fixture
async def stack(
    fal: FakeFal,
    servers: Servers,
    s3: S3Server,
    s3_bucket: str,
) -> AsyncIterator[FullStack]:
    async with full_stack(
        servers,
        **s3_storage(s3, s3_bucket),
        # No quick in-call retries: every provider failure costs a whole attempt here.
        worker=fal.worker_settings(max_attempts=3, fal_request_retries=0),
    ) as running_stack:
        yield running_stack


async def run(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    project = (await client.post("/api/v1/projects", json={"name": "fal"})).json()["id"]
    if body.pop("needs_image", False):
        image = await client.post(
            f"/api/v1/projects/{project}/assets", files={"file": ("ref.png", media_samples.png())}
        )
        body["input_asset_ids"] = [image.json()["id"]]
    accepted = await client.post(f"/api/v1/projects/{project}/generations", json=body)
    assert accepted.status_code == 202, accepted.text
    result: dict[str, Any] = {}

    async def finished() -> bool:
        result.update((await client.get(f"/api/v1/generations/{accepted.json()['id']}")).json())
        return result["status"] in ("completed", "failed", "cancelled")

    await eventually(finished, within=30)
    return result


async def test_image_model_on_fal_completes_and_registers_the_image(
    stack: FullStack, fal: FakeFal
) -> None:
    async with stack.client() as client:
        done = await run(
            client,
            {
                "type": "text-to-image",
                "model_id": "fal-ai/flux/dev",
                "prompt": "a red fox",
                "params": {"num_inference_steps": 20},
            },
        )
        assert done["status"] == "completed", done
        output = done["outputs"][0]
        assert output["media_type"] == "image"

        async def registered() -> bool:
            return (await client.get(f"/api/v1/assets/{output['asset_id']}")).status_code == 200

        await eventually(registered)
        content = (await client.get(f"/api/v1/assets/{output['asset_id']}/content")).content
        assert content.startswith(b"\x89PNG")
    submits = [r for r in fal.recorded if r.method == "POST"]
    assert len(submits) == 1
    assert submits[0].json["prompt"] == "a red fox"
    assert submits[0].json["num_inference_steps"] == 20
    assert submits[0].json["image_size"] == "landscape_4_3", "defaults filled in are sent to fal"
    assert submits[0].headers["authorization"] == f"Key {fal.key}"


@pytest.mark.parametrize(
    ("model_id", "image_input", "size"),
    [
        ("fal-ai/flux-2-pro", None, (1280, 720)),
        # Before: preset names only for these four, though fal's schema takes a width and height.
        ("fal-ai/flux-2-pro/edit", "image_urls", (2048, 64)),
        ("fal-ai/ideogram/v3/remix", "image_url", (1536, 512)),
        ("fal-ai/recraft/v3/text-to-image", None, (2048, 1024)),
        ("fal-ai/stable-diffusion-v35-large", None, (1344, 768)),
    ],
)
async def test_a_custom_image_size_is_sent_to_fal_as_given(
    stack: FullStack,
    fal: FakeFal,
    model_id: str,
    image_input: str | None,
    size: tuple[int, int],
) -> None:
    width, height = size
    custom = {"width": width, "height": height}
    async with stack.client() as client:
        done = await run(
            client,
            {
                "type": "image-to-image" if image_input else "text-to-image",
                "model_id": model_id,
                "prompt": "a wide bay",
                "params": {"image_size": custom},
                "needs_image": image_input is not None,
            },
        )
    assert done["status"] == "completed", done
    assert done["params"]["image_size"] == custom
    [submit] = fal.submits(model_id)
    assert submit.json["image_size"] == custom  # the object itself, not a preset name
    if image_input is not None:
        assert submit.json[image_input], "the input image is sent beside the size"


async def test_image_to_video_on_fal_sends_the_image_and_stores_the_video(
    stack: FullStack, fal: FakeFal
) -> None:
    async with stack.client() as client:
        done = await run(
            client,
            {
                "type": "image-to-video",
                "model_id": "fal-ai/veo3.1/image-to-video",
                "prompt": "it moves",
                "needs_image": True,
            },
        )
        assert done["status"] == "completed", done
        assert done["outputs"][0]["media_type"] == "video"
    submit = next(r for r in fal.recorded if r.method == "POST")
    assert submit.json["image_url"].startswith("data:image/png;base64,")


async def test_provider_validation_error_fails_the_generation_with_its_message(
    stack: FullStack, fal: FakeFal
) -> None:
    fal.script(
        "fal-ai/flux/dev",
        submit_validation=(
            field_error("num_inference_steps", "ensure this value is less than or equal to 30"),
        ),
    )
    async with stack.client() as client:
        done = await run(
            client,
            {
                "type": "text-to-image",
                "model_id": "fal-ai/flux/dev",
                "prompt": "x",
                "params": {"num_inference_steps": 40},
            },
        )
    assert done["status"] == "failed"
    assert done["error"]["code"] == "provider_validation"
    assert "less than or equal to 30" in done["error"]["message"]
    assert done["attempts"] == 1


async def test_provider_5xx_twice_then_success_completes_on_the_third_attempt(
    stack: FullStack, fal: FakeFal
) -> None:
    fal.script("fal-ai/flux/schnell", failing_calls=2, failure_status=503, retry_after=None)
    async with stack.client() as client:
        done = await run(
            client,
            {"type": "text-to-image", "model_id": "fal-ai/flux/schnell", "prompt": "eventually"},
        )
    assert done["status"] == "completed", done
    assert done["attempts"] == 3


async def test_a_provider_that_stays_down_fails_the_generation_after_bounded_attempts(
    stack: FullStack, fal: FakeFal
) -> None:
    fal.script("fal-ai/flux/schnell", failing_calls=10_000, failure_status=503, retry_after=None)
    async with stack.client() as client:
        done = await run(
            client, {"type": "text-to-image", "model_id": "fal-ai/flux/schnell", "prompt": "never"}
        )
    assert done["status"] == "failed"
    assert done["error"]["code"] == "provider_unavailable"
    # fal answered each time (503): it had an error; it was not that it "could not run it".
    assert done["error"]["message"] == (
        "fal.ai had an error (HTTP 503, runner_connection_error). The studio tried 3 times; "
        "try again in a while."
    )
    assert done["attempts"] == 3
