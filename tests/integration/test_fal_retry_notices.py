"""fal's quick retries of one call are told as progress, over real HTTP against the fake fal
queue: what fal answered, when it is asked again, and which try that is."""

from collections.abc import AsyncIterator

import httpx
import pytest
from studio_contracts.enums import GenerationType, MediaType
from studio_generation.providers.base import ProviderJob, ProviderProgress
from studio_generation.providers.fal import FalProvider

from tests.fakes.fal_server import FakeFal

SDXL = "fal-ai/fast-sdxl"


class Recorder:
    """`ProviderEvents` that keeps every progress line it is told."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    async def submitted(self, request_id: str) -> None:
        pass

    async def progress(self, progress: ProviderProgress) -> None:
        self.lines.extend(progress.logs)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def provider(fal: FakeFal, http: httpx.AsyncClient) -> FalProvider:
    return FalProvider(
        http,
        base_url=fal.base_url,
        storage_url=fal.base_url,
        key=fal.key,
        poll_interval_s=0.01,
        max_poll_interval_s=0.05,
        request_retries=4,
        retry_backoff_s=0.001,
        max_retry_backoff_s=0.01,
    )


def job() -> ProviderJob:
    return ProviderJob(
        generation_id="gen-1",
        model_id=SDXL,
        type=GenerationType.TEXT_TO_IMAGE,
        output=MediaType.IMAGE,
        params={"prompt": "a lighthouse at dusk"},
    )


async def test_each_retry_of_a_failing_call_says_what_fal_answered(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(
        SDXL,
        failing_calls=2,
        failure_status=503,
        retry_after=None,
        fault_endpoints=frozenset({"submit"}),
        logs=("Generating",),
    )
    told = Recorder()

    await provider(fal, http).run(job(), told)

    assert told.lines == [
        "fal.ai answered HTTP 503; asking again in about 1 s (request 2 of 5)",
        "fal.ai answered HTTP 503; asking again in about 1 s (request 3 of 5)",
        "Generating",
    ]


async def test_a_retry_after_is_the_wait_it_tells(fal: FakeFal, http: httpx.AsyncClient) -> None:
    fal.script(
        SDXL,
        rate_limited_calls=1,
        retry_after=1.5,
        fault_endpoints=frozenset({"status"}),
        logs=(),
    )
    told = Recorder()

    await provider(fal, http).run(job(), told)

    assert told.lines == ["fal.ai answered HTTP 429; asking again in about 2 s (request 2 of 5)"]


async def test_calls_that_work_at_once_tell_nothing_more(
    fal: FakeFal, http: httpx.AsyncClient
) -> None:
    fal.script(SDXL, logs=("Generating",))
    told = Recorder()

    await provider(fal, http).run(job(), told)

    assert told.lines == ["Generating"]
