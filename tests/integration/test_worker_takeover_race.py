"""Two runs of one job: a worker whose lease ran out while it still worked, and the worker that
took the job over and completed it first. The late run must leave the completed generation's
outputs alone (they have the same keys and asset ids as its own), against real MongoDB, NATS and
S3 servers and the assets service."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import nats
from pymongo import AsyncMongoClient
from studio_contracts.enums import GenerationStatus, GenerationType, MediaType
from studio_contracts.subjects import GENERATIONS_STREAM
from studio_generation.cancels import CancelSignals
from studio_generation.events import GenerationEvents
from studio_generation.outputs import OutputWriter
from studio_generation.providers.local import LocalProvider
from studio_generation.records import NewGeneration
from studio_generation.repository import GenerationRepository
from studio_generation.settings import WorkerSettings
from studio_generation.worker import Worker
from studio_runtime.client_pool import ClientPool
from studio_runtime.clients import AssetsClient
from studio_runtime.clock import now_ms
from studio_runtime.events import EventPublisher
from studio_runtime.ids import new_id
from studio_runtime.internal_http import InternalService
from studio_runtime.nats import declare_stream
from studio_runtime.rpc import RpcClient

from tests.support.apps import INTERNAL_SECRET, make_settings
from tests.support.assets_stack import AssetsStack
from tests.support.waiting import eventually

SMALL = {"image_size": {"width": 64, "height": 64}}


@asynccontextmanager
async def _worker(
    stack: AssetsStack,
    repository: GenerationRepository,
    nats_url: str,
    nats_prefix: str,
    *,
    latency_s: float,
    lease_s: float,
) -> AsyncIterator[Worker]:
    """A worker as `create_worker_app` builds one, whose local model takes `latency_s`."""
    settings = make_settings(
        WorkerSettings, nats_prefix=nats_prefix, lease_s=lease_s, heartbeat_s=30
    )
    nc = await nats.connect(nats_url)
    cancels = CancelSignals(nc, prefix=nats_prefix)
    await cancels.start()
    files = ClientPool(shards=1, connections_per_shard=2, timeout_s=10)
    async with httpx.AsyncClient(timeout=30) as http:
        service = InternalService(
            http, stack.assets_url, secret=INTERNAL_SECRET, name="assets", ttl_s=60
        )
        calls = RpcClient(
            nc, service="assets", secret=INTERNAL_SECRET, ttl_s=60, timeout_s=30, prefix=nats_prefix
        )
        try:
            yield Worker(
                repository,
                GenerationEvents(EventPublisher(nc.jetstream(), prefix=nats_prefix)),
                {"local": LocalProvider(latency_s=latency_s)},
                OutputWriter(stack.store(), files, max_bytes=1 << 20),
                AssetsClient(service, calls),
                cancels,
                settings,
            )
        finally:
            await cancels.stop()
            await files.aclose()
            await nc.close()


async def test_a_run_that_lost_its_job_to_a_takeover_leaves_the_outputs_of_the_winner(
    stack: AssetsStack, mongo_url: str, mongo_db_name: str, nats_url: str, nats_prefix: str
) -> None:
    project = await stack.new_project()
    mongo: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongo_url)
    repository = GenerationRepository(mongo[f"{mongo_db_name}_takeover"])
    job = NewGeneration(
        id=new_id(),
        owner="user-1",
        project_id=project,
        type=GenerationType.TEXT_TO_IMAGE,
        model_id="local/image",
        runtime="local",
        output=MediaType.IMAGE,
        prompt="twice over",
        params={**SMALL, "prompt": "twice over", "seed": 7},
        input_asset_ids=[],
        created_ms=now_ms(),
    )
    await repository.insert(job, active_limit=0)
    nc = await nats.connect(nats_url)
    # The generation API declares the stream the workers announce on; it is not running here.
    await declare_stream(nc.jetstream(), GENERATIONS_STREAM.with_prefix(nats_prefix))
    await nc.close()
    try:
        async with (
            _worker(stack, repository, nats_url, nats_prefix, latency_s=4, lease_s=1.5) as slow,
            _worker(stack, repository, nats_url, nats_prefix, latency_s=0, lease_s=60) as fast,
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
