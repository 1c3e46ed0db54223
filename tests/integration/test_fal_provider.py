"""The fal provider over real HTTP against the fake fal queue (tests/fakes/fal_server.py)."""

import asyncio
import base64
import io
import itertools
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image
from studio_contracts.enums import GenerationType, MediaType
from studio_generation.providers.base import (
    InputFile,
    PermanentProviderError,
    ProviderJob,
    ProviderOutput,
    ProviderProgress,
    TransientProviderError,
)
from studio_generation.providers.fal import FalHandle, FalProvider
from studio_generation.providers.fal_io import map_outputs

from tests.fakes import media
from tests.fakes.fal_server import ALWAYS, FakeFal, OutputShape, field_error
from tests.support.sockets import bound_socket
from tests.support.waiting import eventually

FLUX_DEV = "fal-ai/flux/dev"
SDXL = "fal-ai/fast-sdxl"
KLING = "fal-ai/kling-video/v2/master/text-to-video"


@dataclass
class Recorder:
    """`ProviderEvents` that keeps what it is told."""

    handles: list[str] = field(default_factory=list)
    updates: list[ProviderProgress] = field(default_factory=list)

    async def submitted(self, request_id: str) -> None:
        self.handles.append(request_id)

    async def progress(self, progress: ProviderProgress) -> None:
        self.updates.append(progress)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def provider(
    fal: FakeFal,
    http: httpx.AsyncClient,
    *,
    key: str | None = None,
    request_retries: int = 4,
    data_uri_max_bytes: int = 10 * 1024 * 1024,
    max_wait_s: float | None = 30,
) -> FalProvider:
    """A provider pointed at the fake, with delays small enough for tests."""
    return FalProvider(
        http,
        base_url=fal.base_url,
        storage_url=fal.base_url,
        key=fal.key if key is None else key,
        poll_interval_s=0.01,
        max_poll_interval_s=0.05,
        request_retries=request_retries,
        retry_backoff_s=0.001,
        max_retry_backoff_s=0.01,
        data_uri_max_bytes=data_uri_max_bytes,
        max_wait_s=max_wait_s,
    )


def job(
    model_id: str = SDXL,
    *,
    output: MediaType = MediaType.IMAGE,
    type_: GenerationType = GenerationType.TEXT_TO_IMAGE,
    params: Mapping[str, Any] | None = None,
    inputs: Mapping[str, InputFile | tuple[InputFile, ...]] | None = None,
    resume: str | None = None,
) -> ProviderJob:
    return ProviderJob(
        generation_id="gen-1",
        model_id=model_id,
        type=type_,
        output=output,
        params=params if params is not None else {"prompt": "a lighthouse at dusk"},
        inputs=inputs or {},
        resume_request_id=resume,
    )


async def fetch(http: httpx.AsyncClient, output: ProviderOutput) -> bytes:
    assert output.url is not None
    response = await http.get(output.url)
    assert response.status_code == 200
    return response.content


# --- happy paths ------------------------------------------------------------------------------


async def test_image_happy_path(fal: FakeFal, http: httpx.AsyncClient) -> None:
    events = Recorder()
    params = {"prompt": "a lighthouse at dusk", "num_images": 2, "seed": 7}

    outputs = await provider(fal, http).run(job(params=params), events)

    assert len(outputs) == 2
    for output in outputs:
        assert output.url is not None
        assert output.url.startswith(f"{fal.base_url}/files/")
        assert (output.media_type, output.content_type, output.extension) == (
            MediaType.IMAGE,
            "image/png",
            "png",
        )
        assert (output.width, output.height) == (64, 48)
        data = await fetch(http, output)
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert Image.open(io.BytesIO(data)).size == (64, 48)
    [submit] = fal.submits()
    assert submit.path == f"/{SDXL}"
    assert submit.json == params
    assert len(events.handles) == 1
    handle = FalHandle.decode(events.handles[0])
    assert handle is not None
    assert handle.request_id in fal.jobs
    queue_calls = [r for r in fal.recorded if not r.path.startswith("/files/")]
    assert all(r.headers["authorization"] == f"Key {fal.key}" for r in queue_calls)
    media_calls = fal.requests("GET", "/files/")
    assert media_calls
    assert all("authorization" not in r.headers for r in media_calls)


async def test_video_happy_path(fal: FakeFal, http: httpx.AsyncClient) -> None:
    outputs = await provider(fal, http).run(
        job(KLING, output=MediaType.VIDEO, type_=GenerationType.TEXT_TO_VIDEO), Recorder()
    )

    [output] = outputs
    assert (output.media_type, output.content_type, output.extension) == (
        MediaType.VIDEO,
        "video/mp4",
        "mp4",
    )
    data = await fetch(http, output)
    assert data[4:8] == b"ftyp"


@pytest.mark.parametrize(
    ("model_id", "output", "shape", "content_type", "extension", "magic"),
    [
        ("fal-ai/clarity-upscaler", MediaType.IMAGE, "image", "image/png", "png", b"\x89PNG"),
        ("fal-ai/stable-audio", MediaType.AUDIO, "audio", "audio/wav", "wav", b"RIFF"),
        ("fal-ai/mmaudio-v2", MediaType.AUDIO, "audio_file", "audio/wav", "wav", b"RIFF"),
        ("fal-ai/trellis", MediaType.MODEL3D, "model_mesh", "model/gltf-binary", "glb", b"glTF"),
    ],
)
async def test_every_output_shape(
    fal: FakeFal,
    http: httpx.AsyncClient,
    model_id: str,
    output: MediaType,
    shape: OutputShape,
    content_type: str,
    extension: str,
    magic: bytes,
) -> None:
    fal.script(model_id, output=shape)

    [result] = await provider(fal, http).run(job(model_id, output=output), Recorder())

    assert (result.media_type, result.content_type, result.extension) == (
        output,
        content_type,
        extension,
    )
    assert (await fetch(http, result)).startswith(magic)


async def test_sub_path_model_uses_the_urls_fal_returned(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    await provider(fal, http).run(job(FLUX_DEV), Recorder())

    [submit] = fal.submits()
    assert submit.path == f"/{FLUX_DEV}"
    request_id = next(iter(fal.jobs))
    status_calls = fal.requests("GET", f"/fal-ai/flux/requests/{request_id}/status")
    assert status_calls
    assert all(r.query == {"logs": "1"} for r in status_calls)
    assert fal.requests("GET", f"/fal-ai/flux/requests/{request_id}")
    assert not fal.requests(path=f"/{FLUX_DEV}/requests")


async def test_progress_reports_queue_positions_then_new_log_lines_once(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    logs = ("Loading model", "Step 1/3", "Step 2/3", "Step 3/3")
    fal.script(SDXL, queue_s=0.3, queue_position=3, run_s=0.4, logs=logs)
    events = Recorder()

    await provider(fal, http).run(job(), events)

    positions = [u.queue_position for u in events.updates if u.queue_position is not None]
    lines = [line for u in events.updates for line in u.logs]
    assert positions[0] == 3
    assert positions == sorted(set(positions), reverse=True)  # counts down, no repeats
    assert tuple(lines) == logs
    last_position = max(i for i, u in enumerate(events.updates) if u.queue_position is not None)
    first_log = min(i for i, u in enumerate(events.updates) if u.logs)
    assert last_position < first_log


# --- inputs -----------------------------------------------------------------------------------


async def test_image_input_is_sent_as_a_data_uri(fal: FakeFal, http: httpx.AsyncClient) -> None:
    picture = media.png(8, 8)
    params = {"prompt": "make it blue", "strength": 0.8}

    await provider(fal, http).run(
        job(
            "fal-ai/flux/dev/image-to-image",
            type_=GenerationType.IMAGE_TO_IMAGE,
            params=params,
            inputs={
                "image_url": InputFile("image/png", picture, "in.png"),
                "image_urls": InputFile("image/png", picture, "ref.png"),
            },
        ),
        Recorder(),
    )

    uri = "data:image/png;base64," + base64.b64encode(picture).decode()
    [submit] = fal.submits()
    assert submit.json == {**params, "image_url": uri, "image_urls": [uri]}


async def test_a_large_input_goes_through_fal_storage(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    big = InputFile("image/png", b"\x89PNG" + bytes(2000), "big.png")
    small = InputFile("image/png", media.png(4, 4), "small.png")

    await provider(fal, http, data_uri_max_bytes=1000).run(
        job(
            "fal-ai/flux/dev/image-to-image",
            type_=GenerationType.IMAGE_TO_IMAGE,
            params={"prompt": "p"},
            inputs={"image_url": big, "mask_url": small},
        ),
        Recorder(),
    )

    [initiate] = fal.requests("POST", "/storage/upload/initiate")
    assert initiate.headers["authorization"] == f"Key {fal.key}"
    assert initiate.query == {"storage_type": "fal-cdn-v3"}
    assert initiate.json == {"file_name": "big.png", "content_type": "image/png"}
    [put] = fal.requests("PUT", "/storage/put/")
    assert "authorization" not in put.headers  # the signed URL needs no key, and gets none
    [upload] = fal.uploads.values()
    assert upload.data == big.data
    [submit] = fal.submits("fal-ai/flux/dev/image-to-image")
    assert submit.json["image_url"].startswith(f"{fal.base_url}/storage/files/")
    assert submit.json["mask_url"].startswith("data:image/png;base64,")  # small: inline
    fetched = await http.get(submit.json["image_url"])
    assert fetched.content == big.data


async def test_a_refused_storage_upload_fails_the_job_with_fals_words(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    big = InputFile("image/png", b"\x89PNG" + bytes(2000), "big.png")

    with pytest.raises(PermanentProviderError) as caught:
        await provider(fal, http, key="wrong-key", data_uri_max_bytes=1000).run(
            job(inputs={"image_url": big}), Recorder()
        )

    assert caught.value.code == "provider_auth"
    assert fal.submits(SDXL) == []  # nothing submitted without its input


# --- resume -----------------------------------------------------------------------------------


async def _submit_then_die(fal: FakeFal, http: httpx.AsyncClient) -> str:
    """Start a job, let it be submitted, then kill the run like a dying worker would."""
    fal.script(SDXL, queue_s=0.3, run_s=0.1)
    events = Recorder()
    task = asyncio.create_task(provider(fal, http).run(job(), events))
    await eventually(lambda: bool(events.handles), within=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return events.handles[0]


async def test_resume_by_handle_does_not_submit_again(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    handle = await _submit_then_die(fal, http)
    events = Recorder()

    outputs = await provider(fal, http).run(job(resume=handle), events)

    assert len(outputs) == 1
    assert len(fal.submits()) == 1
    assert events.handles == []


async def test_resume_by_bare_request_id_uses_fals_url_shape(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    handle = FalHandle.decode(await _submit_then_die(fal, http))
    assert handle is not None

    outputs = await provider(fal, http).run(job(resume=handle.request_id), Recorder())

    assert len(outputs) == 1
    assert len(fal.submits()) == 1


async def test_a_handle_pointing_elsewhere_gets_no_key(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    foreign = FalHandle(
        "r1",
        "https://attacker.invalid/x/requests/r1/status",
        "https://attacker.invalid/x/requests/r1",
        "https://attacker.invalid/x/requests/r1/cancel",
    )

    with pytest.raises(PermanentProviderError, match=r"not fal\.ai's queue host"):
        await provider(fal, http).run(job(resume=foreign.encode()), Recorder())


# --- errors -----------------------------------------------------------------------------------


async def test_validation_error_at_submit_lists_each_field(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(
        SDXL,
        submit_validation=(
            field_error("num_inference_steps", "must be ≤ 50"),
            field_error("prompt", "Field required", "missing"),
        ),
    )
    events = Recorder()

    with pytest.raises(PermanentProviderError) as caught:
        await provider(fal, http).run(job(params={"num_inference_steps": 80}), events)

    assert caught.value.code == "provider_validation"
    # Worded for the person who chose the settings: their labels, not fal's field names.
    assert caught.value.message.startswith("The model did not accept these settings.")
    assert "Num inference steps: must be ≤ 50" in caught.value.message
    assert "Prompt: Field required" in caught.value.message
    assert len(fal.submits()) == 1  # never retried
    assert events.handles == []


async def test_validation_error_at_result(fal: FakeFal, http: httpx.AsyncClient) -> None:
    fal.script(
        SDXL,
        result_validation=(
            field_error("prompt", "content policy violation", "content_policy_violation"),
        ),
    )
    events = Recorder()

    with pytest.raises(PermanentProviderError) as caught:
        await provider(fal, http).run(job(), events)

    assert caught.value.code == "provider_validation"
    assert "Prompt: content policy violation" in caught.value.message
    assert len(events.handles) == 1
    assert len(fal.requests("GET", "/fal-ai/fast-sdxl/requests/")) >= 2


async def test_wrong_key_is_a_permanent_auth_error(fal: FakeFal, http: httpx.AsyncClient) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        await provider(fal, http, key="not-the-key").run(job(), Recorder())

    assert caught.value.code == "provider_auth"
    assert "key" in caught.value.message.lower()
    assert len(fal.recorded) == 1


async def test_missing_key_fails_without_calling_fal(fal: FakeFal, http: httpx.AsyncClient) -> None:
    with pytest.raises(PermanentProviderError) as caught:
        await provider(fal, http, key="").run(job(), Recorder())

    assert caught.value.code == "provider_auth"
    assert "missing" in caught.value.message
    assert fal.recorded == []


async def test_rate_limit_is_retried_honouring_retry_after(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(SDXL, rate_limited_calls=2, retry_after=0.25, fault_endpoints=frozenset({"submit"}))
    started = time.monotonic()

    outputs = await provider(fal, http).run(job(), Recorder())

    assert len(outputs) == 1
    submits = fal.submits()
    assert len(submits) == 3
    gaps = [b.at - a.at for a, b in itertools.pairwise(submits)]
    assert all(gap >= 0.24 for gap in gaps), gaps  # backoff alone would be ~0.001 s
    assert time.monotonic() - started >= 0.5


async def test_unavailable_fal_is_transient_after_the_retries(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(SDXL, failing_calls=ALWAYS)

    with pytest.raises(TransientProviderError) as caught:
        await provider(fal, http, request_retries=2).run(job(), Recorder())

    assert caught.value.code == "provider_unavailable"
    assert "runner_connection_error" in caught.value.message
    assert len(fal.submits()) == 3  # the first try and two retries


async def test_status_errors_are_retried(fal: FakeFal, http: httpx.AsyncClient) -> None:
    fal.script(
        SDXL,
        failing_calls=3,
        failure_status=502,
        failure_error_type="runner_incomplete_response",
        fault_endpoints=frozenset({"status"}),
    )

    outputs = await provider(fal, http).run(job(), Recorder())

    assert len(outputs) == 1


async def test_gateway_timeout_at_submit_is_not_resubmitted(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(
        SDXL,
        failing_calls=ALWAYS,
        failure_status=504,
        failure_error_type="request_timeout",
        fault_endpoints=frozenset({"submit"}),
    )

    with pytest.raises(TransientProviderError) as caught:
        await provider(fal, http).run(job(), Recorder())

    assert caught.value.code == "provider_unavailable"
    assert "timed out accepting" in caught.value.message
    assert len(fal.submits()) == 1


async def test_infrastructure_failure_of_the_request_asks_for_a_new_submission(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(SDXL, result_failure=(500, "runner_server_error"))

    with pytest.raises(TransientProviderError) as caught:
        await provider(fal, http).run(job(), Recorder())

    assert caught.value.code == "provider_request_failed"
    request_id = next(iter(fal.jobs))
    assert len(fal.requests("GET", f"/fal-ai/fast-sdxl/requests/{request_id}")) > 1
    result_calls = [r for r in fal.recorded if r.path == f"/fal-ai/fast-sdxl/requests/{request_id}"]
    assert len(result_calls) == 1  # a stored failure is not asked again


async def test_a_job_that_never_finishes_times_out(fal: FakeFal, http: httpx.AsyncClient) -> None:
    fal.script(SDXL, never_finish=True)

    with pytest.raises(PermanentProviderError) as caught:
        await provider(fal, http, max_wait_s=0.3).run(job(), Recorder())

    assert caught.value.code == "provider_timeout"
    assert not fal.requests("PUT")  # running: too late to cancel, so not asked


async def test_a_job_stuck_in_the_queue_is_cancelled_when_giving_up(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(SDXL, queue_s=30, queue_position=4)

    with pytest.raises(PermanentProviderError) as caught:
        await provider(fal, http, max_wait_s=0.3).run(job(), Recorder())

    assert caught.value.code == "provider_timeout"
    [put] = fal.requests("PUT")
    assert put.path.endswith("/cancel")
    assert next(iter(fal.jobs.values())).cancelled_at is not None


# --- cancel -----------------------------------------------------------------------------------


async def test_cancel_before_start(fal: FakeFal, http: httpx.AsyncClient) -> None:
    fal.script(SDXL, queue_s=30, queue_position=5)
    events = Recorder()
    fal_provider = provider(fal, http)
    task = asyncio.create_task(fal_provider.run(job(), events))
    await eventually(lambda: bool(events.handles), within=5)

    assert await fal_provider.cancel(events.handles[0]) is True

    with pytest.raises(PermanentProviderError) as caught:
        await task
    assert caught.value.code == "provider_cancelled"
    assert fal.requests("PUT")[0].headers["authorization"] == f"Key {fal.key}"


async def test_cancel_after_start_is_too_late(fal: FakeFal, http: httpx.AsyncClient) -> None:
    fal.script(SDXL, never_finish=True)
    events = Recorder()
    fal_provider = provider(fal, http)
    task = asyncio.create_task(fal_provider.run(job(), events))
    try:
        await eventually(lambda: any(u.logs for u in events.updates), within=5)

        assert await fal_provider.cancel(events.handles[0]) is False
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_cancel_of_an_unknown_request(fal: FakeFal, http: httpx.AsyncClient) -> None:
    url = f"{fal.base_url}/fal-ai/fast-sdxl/requests/nope"
    handle = FalHandle("nope", f"{url}/status", url, f"{url}/cancel").encode()

    assert await provider(fal, http).cancel(handle) is False


# --- the fake's status stream and output mapping details -------------------------------------


async def test_fake_status_stream_ends_at_completed(fal: FakeFal, http: httpx.AsyncClient) -> None:
    events = Recorder()
    fal.script(SDXL, queue_s=0.1, run_s=0.1)
    task = asyncio.create_task(provider(fal, http).run(job(), events))
    await eventually(lambda: bool(events.handles), within=5)
    handle = FalHandle.decode(events.handles[0])
    assert handle is not None

    statuses = []
    headers = {"Authorization": f"Key {fal.key}"}
    async with http.stream("GET", f"{handle.status_url}/stream", headers=headers) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                statuses.append(httpx.Response(200, content=line[6:]).json()["status"])
    await task

    assert statuses[-1] == "COMPLETED"
    assert statuses[0] in ("IN_QUEUE", "IN_PROGRESS")


def test_outputs_without_content_type_are_guessed_from_the_url() -> None:
    result = {
        "video": {"url": "https://v3.fal.media/files/abc/clip.webm"},
        "seed": 1,
    }

    [output] = map_outputs(result, MediaType.VIDEO)

    assert (output.content_type, output.extension) == ("video/webm", "webm")
    assert output.url == "https://v3.fal.media/files/abc/clip.webm"


def test_inline_data_uri_outputs_are_kept_as_bytes() -> None:
    png = media.png(4, 4)
    uri = "data:image/png;base64," + base64.b64encode(png).decode()

    [output] = map_outputs({"images": [{"url": uri, "width": 4, "height": 4}]}, MediaType.IMAGE)

    assert (output.data, output.url, output.extension) == (png, None, "png")


def test_a_result_without_the_expected_output_is_permanent() -> None:
    with pytest.raises(PermanentProviderError, match=r"fal\.ai sent back no video"):
        map_outputs({"images": [{"url": "https://v3.fal.media/files/a.png"}]}, MediaType.VIDEO)


# --- QA 24: every reference of a list input, and words a card can show ------------------------


def picture(colour: tuple[int, int, int]) -> InputFile:
    return InputFile("image/png", media.png(6, 6, colour), f"ref-{colour[0]}.png")


def inline(file: InputFile) -> str:
    return f"data:{file.content_type};base64," + base64.b64encode(file.data).decode()


async def test_every_file_of_a_list_input_is_sent_in_order(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    refs = (picture((10, 0, 0)), picture((20, 0, 0)), picture((30, 0, 0)))

    await provider(fal, http).run(
        job(
            "fal-ai/flux-2-pro/edit",
            type_=GenerationType.IMAGE_TO_IMAGE,
            params={"prompt": "combine @image1 @image2 @image3"},
            inputs={"image_urls": refs},
        ),
        Recorder(),
    )

    [submit] = fal.submits()
    # Before: only the first reference, as a one-item list.
    assert submit.json["image_urls"] == [inline(ref) for ref in refs]


async def test_files_past_the_inline_budget_go_through_storage_keeping_their_order(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    """The inline budget is the request's, not each file's: eight references of 10 MiB
    inlined would make a body of over 100 MB."""
    refs = tuple(
        InputFile("image/png", b"\x89PNG" + bytes([n]) * 600, f"r{n}.png") for n in range(3)
    )

    await provider(fal, http, data_uri_max_bytes=1000).run(
        job(
            "fal-ai/flux-2-pro/edit",
            type_=GenerationType.IMAGE_TO_IMAGE,
            params={"prompt": "p"},
            inputs={"image_urls": refs},
        ),
        Recorder(),
    )

    [submit] = fal.submits("fal-ai/flux-2-pro/edit")
    first, second, third = submit.json["image_urls"]
    assert first == inline(refs[0])  # 604 bytes fit the budget of 1000; the next do not
    for url, ref in ((second, refs[1]), (third, refs[2])):
        assert url.startswith(f"{fal.base_url}/storage/files/")
        assert (await http.get(url)).content == ref.data


def a_card_sentence(message: str) -> bool:
    """Capitalised (fal.ai is a name written in lower case) and ending with a full stop."""
    return (message[0].isupper() or message.startswith("fal.ai")) and message.endswith(".")


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # fal answered: it is busy, or it had an error, not "did not answer".
        (
            {"rate_limited_calls": ALWAYS, "retry_after": None},
            "fal.ai is busy (HTTP 429).",
        ),
        (
            {"failing_calls": ALWAYS, "failure_status": 502},
            "fal.ai had an error (HTTP 502, runner_connection_error).",
        ),
        (
            {"result_failure": (500, "runner_server_error")},
            "fal.ai failed to run it (HTTP 500, runner_server_error).",
        ),
        # Before: "the fal API key has no access to fal-ai/fast-sdxl (check the key's …)".
        (
            {"failing_calls": ALWAYS, "failure_status": 403, "fault_endpoints": {"submit"}},
            "This server's fal.ai API key has no access to this model; ask the operator to "
            "check the key's account and scopes.",
        ),
        # Before: "fal answered no image output (result keys: foo)".
        (
            {"result": {"foo": 1}},
            "The model finished, but fal.ai sent back no image (the result had: foo).",
        ),
        (
            {"submit_validation": (field_error("num_images", "must be ≤ 4"),)},
            "The model did not accept these settings. Num images: must be ≤ 4.",
        ),
    ],
)
async def test_failures_are_worded_as_sentences_a_card_can_show(
    fal: FakeFal, http: httpx.AsyncClient, script: dict[str, Any], expected: str
) -> None:
    if "fault_endpoints" in script:
        script["fault_endpoints"] = frozenset(script["fault_endpoints"])
    fal.script(SDXL, **script)

    with pytest.raises((PermanentProviderError, TransientProviderError)) as caught:
        await provider(fal, http, request_retries=0).run(job(), Recorder())

    assert caught.value.message == expected
    assert a_card_sentence(caught.value.message)


async def test_no_answer_from_fal_is_said_so(http: httpx.AsyncClient) -> None:
    closed = bound_socket()  # bound, never listening: every connection is refused
    try:
        host, port = closed.getsockname()
        unreachable = FalProvider(
            http, base_url=f"http://{host}:{port}", key="k", request_retries=0
        )
        with pytest.raises(TransientProviderError) as caught:
            await unreachable.run(job(), Recorder())
    finally:
        closed.close()

    assert caught.value.message == "fal.ai did not answer (ConnectError)."
