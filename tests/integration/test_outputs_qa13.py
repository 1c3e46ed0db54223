"""What the worker keeps of a hosted model's outputs (QA 13): a result file fal's CDN answers 404
or 410 for is asked for once more, quickly, then given up for good in words that say fal's file
was not found (it used to be retried for about 30 s, five times); and fal's
`has_nsfw_concepts` reaches each output as `safety_flagged`, kept on the record and shown by
the API. Against the fake fal (its queue and its file server), real S3 and MongoDB."""

import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from studio_contracts.enums import GenerationType, MediaType
from studio_generation.outputs import OutputWriter
from studio_generation.providers.base import (
    PermanentProviderError,
    ProviderJob,
    ProviderOutput,
    ProviderProgress,
)
from studio_generation.providers.fal import FalProvider
from studio_generation.providers.fal_io import map_outputs
from studio_generation.records import GenerationRecord, NewGeneration, public
from studio_generation.repository import GenerationRepository
from studio_runtime.client_pool import ClientPool
from studio_runtime.clock import now_ms
from studio_runtime.ids import new_id
from studio_storage import ObjectStore, object_store_from_url

from tests.fakes import media
from tests.fakes.fal_server import ALWAYS, FakeFal
from tests.support.servers import S3Server

SCHNELL = "fal-ai/flux/schnell"


class Quiet:
    """`ProviderEvents` for a run whose progress is not looked at."""

    async def submitted(self, request_id: str) -> None:
        pass

    async def progress(self, progress: ProviderProgress) -> None:
        pass


@pytest.fixture
def store(s3: S3Server, s3_bucket: str) -> ObjectStore:
    return object_store_from_url(
        f"s3://{s3_bucket}?endpoint={s3.endpoint}&region={s3.region}",
        access_key=s3.access_key,
        secret_key=s3.secret_key,
    )


@pytest.fixture
async def writer(store: ObjectStore) -> AsyncIterator[OutputWriter]:
    """The worker's writer as `main.py` builds it (its quick repeat is the shipped one)."""
    files = ClientPool(shards=1, connections_per_shard=2, timeout_s=10)
    try:
        yield OutputWriter(store, files, max_bytes=1 << 20)
    finally:
        await files.aclose()


def new_job(num_images: int = 1) -> NewGeneration:
    return NewGeneration(
        id=new_id(),
        owner="user-1",
        project_id="project-1",
        type=GenerationType.TEXT_TO_IMAGE,
        model_id=SCHNELL,
        runtime="fal",
        output=MediaType.IMAGE,
        prompt="a heron",
        params={"prompt": "a heron", "num_images": num_images},
        input_asset_ids=[],
        created_ms=now_ms(),
    )


async def fal_outputs(fal: FakeFal, job: NewGeneration) -> list[ProviderOutput]:
    """The job run at the fake fal, as the worker runs it: its outputs, URLs on fal's files."""
    async with httpx.AsyncClient(timeout=10) as http:
        provider = FalProvider(http, base_url=fal.base_url, key=fal.key, poll_interval_s=0.01)
        return await provider.run(
            ProviderJob(job.id, job.model_id, job.type, job.output, job.params), Quiet()
        )


def record_of(job: NewGeneration) -> GenerationRecord:
    return GenerationRecord.model_validate(job.model_dump())


# --- a result file that is not there ----------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
async def test_a_missing_result_file_is_given_up_after_one_quick_repeat(
    fal: FakeFal, writer: OutputWriter, status: int
) -> None:
    fal.script(SCHNELL, file_faults=ALWAYS, file_fault_status=status)
    job = new_job()
    outputs = await fal_outputs(fal, job)

    started = time.monotonic()
    with pytest.raises(PermanentProviderError) as caught:
        await writer.write(record_of(job), outputs)
    took = time.monotonic() - started

    # Before: a TransientProviderError, so the job was tried again 4 more times over ~30 s.
    assert caught.value.code == "provider_output_missing"
    assert caught.value.message == (
        f"The model ran, but fal.ai's result file was not found (HTTP {status}); "
        "try the generation again."
    )
    assert len(fal.requests("GET", "/files/")) == 2  # the file, and one repeat
    assert took < 2.5, took


async def test_a_file_not_there_at_first_is_kept_from_the_quick_repeat(
    fal: FakeFal, writer: OutputWriter, store: ObjectStore
) -> None:
    fal.script(SCHNELL, file_faults=1)  # fal's CDN has not got the file yet at the first ask
    job = new_job()
    outputs = await fal_outputs(fal, job)

    [file] = await writer.write(record_of(job), outputs)

    served = media.png(64, 48)
    assert (file.size, file.sha256) == (len(served), hashlib.sha256(served).hexdigest())
    assert b"".join([chunk async for chunk in await store.get(file.object_key)]) == served
    assert len(fal.requests("GET", "/files/")) == 2


# --- fal's safety checker ----------------------------------------------------------------------


def test_each_file_gets_its_own_safety_flag() -> None:
    result: dict[str, Any] = {
        "images": [{"url": f"https://v3.fal.media/files/{n}.png"} for n in range(3)],
        "has_nsfw_concepts": [True, False],  # one short: the third is not flagged
    }

    outputs = map_outputs(result, MediaType.IMAGE)

    assert [output.safety_flagged for output in outputs] == [True, False, False]


def test_a_result_without_safety_flags_flags_nothing() -> None:
    result = {"image": {"url": "https://v3.fal.media/files/a.png"}, "has_nsfw_concepts": "no"}

    [output] = map_outputs(result, MediaType.IMAGE)

    assert output.safety_flagged is False


async def test_a_flagged_output_is_kept_on_the_record_and_shown_by_the_api(
    fal: FakeFal, writer: OutputWriter, any_db: AsyncDatabase[dict[str, Any]]
) -> None:
    fal.script(SCHNELL, nsfw=(True, False))
    repository = GenerationRepository(any_db)
    job = new_job(num_images=2)
    await repository.insert(job, active_limit=0)
    claimed = await repository.claim(job.id, lease_ms=60_000)
    assert claimed is not None

    files = await writer.write(claimed, await fal_outputs(fal, job))
    assert await repository.complete(job.id, files) is not None
    stored = await repository.get_by_id(job.id)

    assert stored is not None
    # Before: no such field; the black image came with no word.
    assert [o.safety_flagged for o in public(stored).outputs] == [True, False]
