"""QA 24 of the hosted-model workflows, through the whole pipeline against the fake fal queue:
every reference of a list-taking model reaches fal in order, a hosted video or sound that came
without its duration gets the one read from the file, and a retried or failed job says what
fal really did (answered busy, answered with an error, or ran it but its result file was not
to be had), in sentences a card can show."""

import base64
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.fakes.fal_server import ALWAYS, FakeFal, Upload
from tests.support import media_samples
from tests.support.full_stack import FullStack, Servers, full_stack, s3_storage
from tests.support.servers import S3Server
from tests.support.sse import listening
from tests.support.waiting import eventually

FLUX2_EDIT = "fal-ai/flux-2-pro/edit"
"""FLUX.2 [pro] Edit: its references go in `image_urls`, a list."""
SCHNELL = "fal-ai/flux/schnell"
VEO = "fal-ai/veo3.1"
SOUND_EFFECTS = "fal-ai/elevenlabs/sound-effects/v2"


@pytest.fixture
async def stack(
    fal: FakeFal, servers: Servers, s3: S3Server, s3_bucket: str
) -> AsyncIterator[FullStack]:
    async with full_stack(
        servers,
        **s3_storage(s3, s3_bucket),
        # No quick in-call retries, two attempts: a failure is retried once, then final.
        worker=fal.worker_settings(max_attempts=2, fal_request_retries=0),
    ) as running_stack:
        yield running_stack


async def new_project(client: httpx.AsyncClient) -> str:
    project: str = (await client.post("/api/v1/projects", json={"name": "qa24"})).json()["id"]
    return project


async def upload(client: httpx.AsyncClient, project: str, name: str, data: bytes) -> str:
    response = await client.post(f"/api/v1/projects/{project}/assets", files={"file": (name, data)})
    assert response.status_code == 201, response.text
    asset_id: str = response.json()["id"]
    return asset_id


async def generate(client: httpx.AsyncClient, project: str, body: dict[str, Any]) -> str:
    accepted = await client.post(f"/api/v1/projects/{project}/generations", json=body)
    assert accepted.status_code == 202, accepted.text
    generation_id: str = accepted.json()["id"]
    return generation_id


async def finished(client: httpx.AsyncClient, generation_id: str) -> dict[str, Any]:
    record: dict[str, Any] = {}

    async def ended() -> bool:
        record.update((await client.get(f"/api/v1/generations/{generation_id}")).json())
        return record["status"] in ("completed", "failed", "cancelled")

    await eventually(ended, within=30)
    return record


def served_by_fal(fal: FakeFal, name: str, data: bytes, content_type: str) -> str:
    """A URL on the fake's file storage serving `data`, as fal's CDN serves a model's file."""
    upload_id = uuid.uuid4().hex
    fal.uploads[upload_id] = Upload(name, content_type, signature=uuid.uuid4().hex, data=data)
    return f"{fal.base_url}/storage/files/{upload_id}/{name}"


# --- 1. every reference of a list-taking model -------------------------------------------------


async def test_every_reference_of_a_list_model_reaches_fal_in_order(
    stack: FullStack, fal: FakeFal
) -> None:
    colours = [(200, 30, 30), (30, 200, 30), (30, 30, 200)]
    async with stack.client() as client:
        project = await new_project(client)
        refs = [
            await upload(client, project, f"ref{n}.png", media_samples.png(40, 30, colour))
            for n, colour in enumerate(colours)
        ]
        stored = [(await client.get(f"/api/v1/assets/{ref}/content")).content for ref in refs]
        generation_id = await generate(
            client,
            project,
            {
                "type": "image-to-image",
                "model_id": FLUX2_EDIT,
                "prompt": "combine @image1 @image2 @image3",
                "input_asset_ids": refs,
            },
        )
        done = await finished(client, generation_id)

    assert done["status"] == "completed", done
    [submit] = fal.submits(FLUX2_EDIT)
    sent = submit.json["image_urls"]
    # Before: one item, the first reference; the other two were dropped without a word.
    assert len(sent) == 3, [url[:40] for url in sent]
    for url, data in zip(sent, stored, strict=True):
        assert url.startswith("data:image/png;base64,")
        assert base64.b64decode(url.partition(",")[2]) == data


# --- 2. a hosted video's or sound's length ----------------------------------------------------


@pytest.mark.parametrize(
    ("model_id", "kind", "file", "seconds"),
    [
        (
            VEO,
            "text-to-video",
            ("clip.mp4", media_samples.mp4(64, 48, frames=20), "video/mp4"),
            2.0,
        ),
        (SOUND_EFFECTS, "text-to-audio", ("take.wav", media_samples.wav(2.5), "audio/wav"), 2.5),
    ],
)
async def test_a_hosted_output_without_a_duration_gets_the_files_own(
    stack: FullStack,
    fal: FakeFal,
    model_id: str,
    kind: str,
    file: tuple[str, bytes, str],
    seconds: float,
) -> None:
    name, data, content_type = file
    shape = "video" if kind == "text-to-video" else "audio"
    # fal's File object, as its video and audio models answer it: no duration.
    url = served_by_fal(fal, name, data, content_type)
    fal.script(model_id, result={shape: {"url": url, "content_type": content_type}})
    async with stack.client() as client:
        project = await new_project(client)
        done = await finished(
            client,
            await generate(client, project, {"type": kind, "model_id": model_id, "prompt": "x"}),
        )
        assert done["status"] == "completed", done
        [output] = done["outputs"]
        asset = (await client.get(f"/api/v1/assets/{output['asset_id']}")).json()

    # Before: null in both, while the same file uploaded showed its length.
    assert asset["duration"] == pytest.approx(seconds, abs=0.05), asset
    assert output["duration"] == asset["duration"]


# --- 3. what the retry notice and the final failure say ---------------------------------------


@pytest.mark.parametrize(
    ("script", "said"),
    [
        ({"rate_limited_calls": ALWAYS, "retry_after": None}, "fal.ai is busy (HTTP 429)"),
        (
            {"failing_calls": ALWAYS, "failure_status": 502},
            "fal.ai had an error (HTTP 502, runner_connection_error)",
        ),
        # fal ran it: its CDN fails to serve the file (a missing one fails at once,
        # test_fal_qa13.py).
        (
            {"file_faults": ALWAYS, "file_fault_status": 503},
            "the result file could not be fetched from fal.ai (HTTP 503)",
        ),
    ],
    ids=["busy-429", "error-502", "output-503"],
)
async def test_a_retried_job_says_what_fal_did(
    stack: FullStack, fal: FakeFal, script: dict[str, Any], said: str
) -> None:
    fal.script(SCHNELL, **script)
    async with stack.client() as client, listening(client) as events:
        project = await new_project(client)
        generation_id = await generate(
            client, project, {"type": "text-to-image", "model_id": SCHNELL, "prompt": "a heron"}
        )
        await events.wait_for(lambda e: e.event == "generation.failed" and generation_id in e.data)
        lines = [
            p["logs"][0]
            for p in (e.json() for e in events.of("generation_id", generation_id))
            if p.get("logs") and "queue_position" in p  # the progress events
        ]
        done = await finished(client, generation_id)

    # Before: "… (attempt 2 of 2): fal.ai did not answer", though fal had answered.
    waiting = [line for line in lines if line.startswith("Trying again in about ")]
    assert waiting and waiting[0].endswith(f"(attempt 2 of 2): {said}"), lines
    assert f"Trying again (attempt 2 of 2): {said}" in lines, lines
    assert done["status"] == "failed", done
    # Before: "fal.ai could not run it, 2 tries in a row; … Its last answer: the provider's
    # file could not be fetched (404)".
    sentence = said if said.startswith("fal.ai") else said[0].upper() + said[1:]
    assert done["error"] == {
        "code": "provider_unavailable",
        "message": f"{sentence}. The studio tried 2 times; try again in a while.",
    }


# --- 4. a failure on a card is a sentence -----------------------------------------------------


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            {"failing_calls": ALWAYS, "failure_status": 403},
            "This server's fal.ai API key has no access to this model; ask the operator to "
            "check the key's account and scopes.",
        ),
        (
            {"result": {"foo": 1}},
            "The model finished, but fal.ai sent back no image (the result had: foo).",
        ),
    ],
    ids=["no-access-403", "no-output"],
)
async def test_a_failed_card_reads_a_sentence(
    stack: FullStack, fal: FakeFal, script: dict[str, Any], message: str
) -> None:
    fal.script(SCHNELL, **script)
    async with stack.client() as client:
        project = await new_project(client)
        done = await finished(
            client,
            await generate(
                client, project, {"type": "text-to-image", "model_id": SCHNELL, "prompt": "x"}
            ),
        )

    # Before: "the fal API key has no access to fal-ai/flux/schnell (check …)" and "fal
    # answered no image output (result keys: foo)".
    assert done["status"] == "failed", done
    assert done["error"]["message"] == message
    assert done["attempts"] == 1  # permanent: not retried
