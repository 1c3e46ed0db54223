"""A worker's job at its edges, against real MongoDB, NATS and S3 servers and the assets service:
two runs of one job (a worker whose lease ran out while it still worked, and the worker that
took the job over and completed it first: the late run leaves the completed generation's outputs
alone, they have the same keys and asset ids as its own), and a job stopped mid-run (its
provider's run stops with it)."""

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import nats
import pytest
import structlog
from pymongo import AsyncMongoClient
from structlog.testing import LogCapture
from studio_contracts.enums import GenerationStatus, GenerationType, MediaType
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_generation import worker as worker_module
from studio_generation.cancels import CancelSignals
from studio_generation.events import GenerationEvents
from studio_generation.outputs import OutputWriter
from studio_generation.providers.local import LocalProvider
from studio_generation.records import NewGeneration
from studio_generation.repository import GenerationRepository
from studio_generation.settings import WorkerSettings
from studio_generation.worker import Worker
from studio_runtime.client_pool import ClientPool
from studio_runtime.clock import now_ms
from studio_runtime.events import EventPublisher, RetryLater
from studio_runtime.ids import new_id
from studio_runtime.nats import declare_stream

from tests.support.apps import make_settings
from tests.support.assets_stack import AssetsStack, worker_assets_client
from tests.support.media_samples import png
from tests.support.waiting import eventually

SMALL = {"image_size": {"width": 64, "height": 64}}


@asynccontextmanager
async def _worker(
    stack: AssetsStack,
    repository: GenerationRepository,
    nats_url: str,
    nats_prefix: str,
    *,
    provider: LocalProvider,
    lease_s: float = 60,
    assets_url: str | None = None,
    assets_prefix: str | None = None,
) -> AsyncIterator[Worker]:
    """A worker as `create_worker_app` builds one, with `provider` as its local models."""
    settings = make_settings(
        WorkerSettings, nats_prefix=nats_prefix, lease_s=lease_s, heartbeat_s=30
    )
    nc = await nats.connect(nats_url)
    cancels = CancelSignals(nc, prefix=nats_prefix)
    await cancels.start()
    files = ClientPool(shards=1, connections_per_shard=2, timeout_s=10)
    async with httpx.AsyncClient(timeout=30) as http:
        try:
            yield Worker(
                repository,
                GenerationEvents(EventPublisher(nc.jetstream(), prefix=nats_prefix)),
                {"local": provider},
                OutputWriter(stack.store(), files, max_bytes=1 << 20),
                worker_assets_client(
                    nc,
                    http,
                    base_url=assets_url or stack.assets_url,
                    prefix=assets_prefix or nats_prefix,
                ),
                cancels,
                settings,
            )
        finally:
            await cancels.stop()
            await files.aclose()
            await nc.close()


async def _accepted(
    stack: AssetsStack,
    repository: GenerationRepository,
    nats_url: str,
    nats_prefix: str,
    prompt: str,
    *,
    project_id: str | None = None,
    image: str | None = None,
) -> NewGeneration:
    """A generation as the API stores it, in a project of its own unless `project_id` is given;
    with `image`, an image-to-image generation taking that asset."""
    job = NewGeneration(
        id=new_id(),
        owner="user-1",
        project_id=project_id or await stack.new_project(),
        type=GenerationType.TEXT_TO_IMAGE if image is None else GenerationType.IMAGE_TO_IMAGE,
        model_id="local/image",
        runtime="local",
        output=MediaType.IMAGE,
        prompt=prompt,
        params={**SMALL, "prompt": prompt, "seed": 7},
        input_asset_ids=[] if image is None else [image],
        input_bindings={} if image is None else {"image": image},
        created_ms=now_ms(),
    )
    await repository.insert(job, active_limit=0)
    nc = await nats.connect(nats_url)
    # The generation API declares the stream the workers announce on; it is not running here.
    await declare_stream(nc.jetstream(), GENERATIONS_STREAM.with_prefix(nats_prefix))
    await nc.close()
    return job


async def test_a_run_that_lost_its_job_to_a_takeover_leaves_the_outputs_of_the_winner(
    stack: AssetsStack, mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> None:
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    repository = GenerationRepository(mongo[f"{mongo_db_name}_takeover"])
    job = await _accepted(stack, repository, nats_url, nats_prefix, "twice over")
    try:
        async with (
            _worker(
                stack, repository, nats_url, nats_prefix, provider=LocalProvider(4), lease_s=1.5
            ) as slow,
            _worker(stack, repository, nats_url, nats_prefix, provider=LocalProvider()) as fast,
        ):
            late = asyncio.create_task(slow.run(job.id))

            async def lease_ran_out() -> bool:
                record = await repository.get_by_id(job.id)
                return (
                    record is not None
                    and record.status is GenerationStatus.PROCESSING
                    and record.lease_until_ms < now_ms()
                )

            # The slow run holds the job, then stops renewing (as if paused): another takes it.
            await eventually(lease_ran_out, within=30)
            await fast.run(job.id)
            completed = await repository.get_by_id(job.id)
            assert completed is not None and completed.status is GenerationStatus.COMPLETED
            assert not late.done(), "the slow run should still be rendering"
            await asyncio.wait_for(late, 60)

        record = await repository.get_by_id(job.id)
        assert record is not None and record.status is GenerationStatus.COMPLETED
        [output] = record.outputs
        async with stack.client() as client:
            asset = await client.get(f"/api/v1/assets/{output.asset_id}")
            assert asset.status_code == 200, "the late run deleted the winner's asset"
            content = await client.get(asset.json()["content_url"])
            assert content.status_code == 200
            assert content.headers["content-type"] == "image/png"
    finally:
        await mongo.close()


async def test_an_assets_service_away_puts_the_job_back_with_its_reason_and_no_traceback(
    stack: AssetsStack,
    mongo_url: str,
    mongo_db_name: str,
    nats_url: str,
    nats_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As when the whole studio stops, or the assets service restarts, while a job runs: the
    registration finds no one to answer. Expected, and tried again: said so, not a crash."""
    # The service's loggers are configured once per process and cached on first use, which
    # `structlog.testing.capture_logs` cannot reach: the worker module's logger is swapped.
    captured = LogCapture()
    monkeypatch.setattr(worker_module, "log", structlog.wrap_logger(None, processors=[captured]))
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    repository = GenerationRepository(mongo[f"{mongo_db_name}_away"])
    job = await _accepted(stack, repository, nats_url, nats_prefix, "no one to register it")
    with socket.socket() as closed:  # a port that refuses: bound, never listening
        closed.bind(("127.0.0.1", 0))
        away = f"http://127.0.0.1:{closed.getsockname()[1]}"
        try:
            async with _worker(
                stack,
                repository,
                nats_url,
                nats_prefix,
                provider=LocalProvider(),
                assets_url=away,
                assets_prefix=f"{nats_prefix}-away",
            ) as worker:
                with pytest.raises(RetryLater):
                    await worker.run(job.id)
            record = await repository.get_by_id(job.id)
        finally:
            await mongo.close()
    logs = captured.entries
    events = [entry["event"] for entry in logs]
    assert "job.service_unavailable" in events, logs
    assert "job.crashed" not in events, logs
    assert not [entry for entry in logs if "exc_info" in entry], logs
    assert record is not None and record.status is GenerationStatus.PENDING
    assert record.last_error is not None and record.last_error.code == "service_unavailable"
    assert record.progress is not None
    assert record.progress.logs[-1].endswith(
        "(attempt 2 of 5): a part of the studio was restarting"
    )


async def test_an_input_deleted_before_the_run_fails_the_job_in_words_not_ids(
    stack: AssetsStack, mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> None:
    """The message is shown on the failed card: an internal id there means nothing to anyone."""
    project_id = await stack.new_project()
    async with stack.client() as client:
        uploaded = await client.post(
            f"/api/v1/projects/{project_id}/assets",
            files={"file": ("reference.png", png(), "image/png")},
        )
        assert uploaded.status_code == 201, uploaded.text
        asset_id = uploaded.json()["id"]
        assert (await client.delete(f"/api/v1/assets/{asset_id}")).status_code == 204
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    repository = GenerationRepository(mongo[f"{mongo_db_name}_input_gone"])
    job = await _accepted(
        stack,
        repository,
        nats_url,
        nats_prefix,
        "after the reference",
        project_id=project_id,
        image=asset_id,
    )
    try:
        async with _worker(
            stack, repository, nats_url, nats_prefix, provider=LocalProvider()
        ) as worker:
            await worker.run(job.id)
        record = await repository.get_by_id(job.id)
    finally:
        await mongo.close()
    assert record is not None and record.status is GenerationStatus.FAILED
    assert record.error is not None and record.error.code == "input_missing"
    assert record.error.message == (
        "A reference file was deleted before the generation ran; choose another and try again."
    )


async def test_a_job_stopped_mid_run_stops_its_provider_run_and_its_progress(
    stack: AssetsStack, mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> None:
    """A worker shutting down stops the jobs still running when its grace is over; their
    deliveries go to another worker. What the provider was doing stops too: it went on storing
    and announcing progress of a job that was another worker's by then."""
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    repository = GenerationRepository(mongo[f"{mongo_db_name}_stopped"])
    job = await _accepted(stack, repository, nats_url, nats_prefix, "stopped midway")
    try:
        provider = LocalProvider(latency_s=60, progress_steps=120)  # progress every 0.5 s
        async with _worker(stack, repository, nats_url, nats_prefix, provider=provider) as worker:
            running = asyncio.create_task(worker.run(job.id))

            async def under_way() -> bool:
                record = await repository.get_by_id(job.id)
                return record is not None and record.progress is not None

            await eventually(under_way, within=30)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            left = [task for task in asyncio.all_tasks() if _of_the_job(task)]
            assert left == [], "the provider's run (or its held progress) outlived the job"
    finally:
        await mongo.close()


def _of_the_job(task: asyncio.Task[object]) -> bool:
    """A task still running one of the worker's steps of a job (its provider run, its progress,
    its lease), and not asked to stop."""
    code = getattr(task.get_coro(), "cr_code", None)
    return (
        not task.done()
        and not task.cancelling()
        and code is not None
        and code.co_filename.endswith("studio_generation/worker.py")
        and code.co_name in ("_run", "_send_held", "_watch")
    )
