"""QA 24: a generation's video or sound registered without a duration (fal's files come without
one) gets the one its headers say, as the same file uploaded does; a duration the provider gave
is kept. Through the assets service's registration, against real MongoDB, NATS and S3."""

from typing import Any

import pytest
from studio_contracts.assets import OutputsRegistration
from studio_contracts.events import OutputFile
from studio_runtime.ids import new_id

from tests.fakes import media
from tests.support import media_samples
from tests.support.assets_stack import AssetsStack


async def register(stack: AssetsStack, project: str, output: OutputFile) -> dict[str, Any]:
    """The asset registering `output` makes, as the worker receives it."""
    generation_id = output.object_key.split("/")[2]
    registration = OutputsRegistration(
        generation_id=generation_id, project_id=project, prompt="surf", outputs=[output]
    )
    async with stack.client() as client:
        answer = await client.put(
            f"/internal/v1/generations/{generation_id}/outputs",
            json=registration.model_dump(mode="json"),
        )
        assert answer.status_code == 200, answer.text
        asset: dict[str, Any] = answer.json()["assets"][0]
        stored = (await client.get(f"/api/v1/assets/{asset['id']}")).json()
    assert stored["duration"] == asset["duration"]  # as stored, not only as answered
    return asset


@pytest.mark.parametrize(
    ("data", "content_type", "seconds"),
    [
        (media_samples.mp4(96, 64, frames=25), "video/mp4", 2.5),
        (media_samples.wav(1.75), "audio/wav", 1.75),
    ],
    ids=["video", "sound"],
)
async def test_an_output_without_a_duration_gets_its_files_own(
    stack: AssetsStack, data: bytes, content_type: str, seconds: float
) -> None:
    project = await stack.new_project()
    output = await stack.stored_output(project, new_id(), data, content_type)
    assert output.duration is None

    asset = await register(stack, project, output)

    # Before: null, while the same file uploaded showed its length.
    assert asset["duration"] == pytest.approx(seconds, abs=0.05), asset
    if content_type.startswith("video/"):
        assert (asset["width"], asset["height"]) == (96, 64)
        assert asset["thumbnail_url"], "the poster is still made, from the same copy"
    else:
        assert asset["waveform"] is None  # silence: nothing to draw, as for an upload


async def test_a_duration_the_provider_gave_is_kept(stack: AssetsStack) -> None:
    project = await stack.new_project()
    stored = await stack.stored_output(
        project, new_id(), media_samples.mp4(96, 64, frames=25), "video/mp4"
    )

    asset = await register(stack, project, stored.model_copy(update={"duration": 2.4}))

    assert asset["duration"] == 2.4  # the provider's word, the file not probed


async def test_an_output_whose_headers_cannot_be_read_is_still_registered(
    stack: AssetsStack,
) -> None:
    project = await stack.new_project()
    # The fake fal's "MP4": a type signature and nothing playable.
    output = await stack.stored_output(project, new_id(), media.mp4(), "video/mp4")

    asset = await register(stack, project, output)

    assert asset["media_type"] == "video"
    assert asset["duration"] is None
