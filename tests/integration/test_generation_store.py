"""The generation store's grouped claims and completions on every MongoDB backend: a job
claimed or completed at the same time as others is changed once, by exactly one caller, and
each caller gets its own record back."""

import asyncio
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from studio_contracts.enums import GenerationStatus, GenerationType, MediaType
from studio_contracts.events import OutputFile
from studio_generation.records import NewGeneration
from studio_generation.repository import GenerationRepository
from studio_runtime.clock import now_ms
from studio_runtime.ids import new_id

from tests.support.mongo_commands import CommandLog

Doc = dict[str, Any]
LEASE_MS = 60_000


async def pending_jobs(store: GenerationRepository, count: int) -> list[str]:
    ids = []
    for n in range(count):
        job = NewGeneration(
            id=new_id(),
            owner="user-1",
            project_id="project-1",
            type=GenerationType.TEXT_TO_IMAGE,
            model_id="local/image",
            runtime="local",
            output=MediaType.IMAGE,
            prompt=f"fox {n}",
            params={},
            input_asset_ids=[],
            created_ms=now_ms(),
        )
        await store.insert(job)
        assert await store.reserve_active("user-1", 0)
        ids.append(job.id)
    return ids


def output(generation_id: str) -> list[OutputFile]:
    return [
        OutputFile(
            index=0,
            object_key=f"outputs/{generation_id}/0.png",
            media_type=MediaType.IMAGE,
            content_type="image/png",
            size=1,
            sha256="0" * 64,
        )
    ]


async def test_two_workers_claiming_the_same_jobs_at_once_each_get_a_job_once(
    any_db: AsyncDatabase[Doc],
) -> None:
    first, second = GenerationRepository(any_db), GenerationRepository(any_db)
    ids = await pending_jobs(first, 12)

    claims = await asyncio.gather(
        *(store.claim(job, lease_ms=LEASE_MS) for job in ids for store in (first, second)),
        first.claim(ids[0], lease_ms=LEASE_MS),  # one job twice in one worker's burst
    )

    won = [record.id for record in claims if record is not None]
    assert sorted(won) == sorted(ids)  # every job claimed, none twice
    for record in claims:
        if record is not None:
            assert (record.status, record.attempts) == (GenerationStatus.PROCESSING, 1)
            assert record.lease_until_ms > now_ms()


async def test_completions_at_once_finish_each_job_once_and_give_its_slot_back(
    any_db: AsyncDatabase[Doc],
) -> None:
    store = GenerationRepository(any_db)
    ids = await pending_jobs(store, 10)
    await asyncio.gather(*(store.claim(job, lease_ms=LEASE_MS) for job in ids))
    cancelled = await store.mark_cancelled(ids[-1])  # ended while its outputs were stored
    assert cancelled is not None

    finished = await asyncio.gather(
        *(store.complete(job, output(job)) for job in ids),
        store.complete(ids[0], output(ids[0])),  # one job completed twice at once
    )

    assert [record.id if record else None for record in finished] == [*ids[:-1], None, None]
    for record in finished[:-2]:
        assert record is not None
        assert record.status is GenerationStatus.COMPLETED
        assert [file.object_key for file in record.outputs] == [output(record.id)[0].object_key]
    counter = await any_db["active_counts"].find_one({"_id": "user-1"})
    assert counter is not None and counter["count"] == 0


async def test_a_burst_of_claims_and_completions_takes_a_few_commands(
    mongo_url: str, mongo_db_name: str
) -> None:
    commands = CommandLog()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_url, event_listeners=[commands])
    try:
        store = GenerationRepository(client[mongo_db_name])
        ids = await pending_jobs(store, 40)
        commands.names.clear()
        claimed = await asyncio.gather(*(store.claim(job, lease_ms=LEASE_MS) for job in ids))
        finished = await asyncio.gather(*(store.complete(job, output(job)) for job in ids))
    finally:
        await client.close()

    assert all(claimed) and all(finished)
    # One by one: 40 claims, 40 completions and 40 slots given back.
    assert len(commands.names) <= 15, commands.names
