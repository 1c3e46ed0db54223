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
    """`count` generations accepted at once, each stored and counted as active."""

    async def accept(n: int) -> str:
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
        return job.id

    return list(await asyncio.gather(*(accept(n) for n in range(count))))


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
    # The worker gives back the slot of each job it completed (beside announcing it).
    await asyncio.gather(*(store.release_active(record.owner) for record in finished if record))
    for record in finished[:-2]:
        assert record is not None
        assert record.status is GenerationStatus.COMPLETED
        assert [file.object_key for file in record.outputs] == [output(record.id)[0].object_key]
    counter = await any_db["active_counts"].find_one({"_id": "user-1"})
    assert counter is not None and counter["count"] == 0


async def test_a_burst_of_jobs_takes_a_few_commands_from_accept_to_complete(
    mongo_url: str, mongo_db_name: str
) -> None:
    commands = CommandLog()
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_url, event_listeners=[commands])
    try:
        store = GenerationRepository(client[mongo_db_name])
        ids = await pending_jobs(store, 40)
        claimed = await asyncio.gather(*(store.claim(job, lease_ms=LEASE_MS) for job in ids))
        finished = await asyncio.gather(*(store.complete(job, output(job)) for job in ids))
        await asyncio.gather(*(store.release_active(record.owner) for record in finished if record))
        records = await client[mongo_db_name]["generations"].count_documents({})
        counter = await client[mongo_db_name]["active_counts"].find_one({"_id": "user-1"})
    finally:
        await client.close()

    assert records == 40
    assert all(claimed) and all(finished)
    assert counter is not None and counter["count"] == 0
    # One by one: 40 inserts, slots, claims, completions and slots given back.
    assert len(commands.names) <= 25, commands.names


async def test_a_burst_of_requests_takes_exactly_the_free_active_slots(
    any_db: AsyncDatabase[Doc],
) -> None:
    store = GenerationRepository(any_db)
    assert await store.reserve_active("ann", 5)  # one active already

    burst = await asyncio.gather(*(store.reserve_active("ann", 5) for _ in range(8)))
    unlimited = await asyncio.gather(*(store.reserve_active("bo", 0) for _ in range(7)))

    assert burst.count(True) == 4
    assert all(unlimited)
    counts = {doc["_id"]: doc["count"] async for doc in any_db["active_counts"].find({})}
    assert counts == {"ann": 5, "bo": 7}
    # A slot given back is free again, for one request only.
    await store.release_active("ann")
    again = await asyncio.gather(*(store.reserve_active("ann", 5) for _ in range(3)))
    assert again.count(True) == 1
