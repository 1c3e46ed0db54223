"""The generation store's grouped claims and completions on every MongoDB backend: a job
claimed or completed at the same time as others is changed once, by exactly one caller, and
each caller gets its own record back."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from studio_contracts.enums import GenerationStatus, GenerationType, MediaType
from studio_contracts.events import OutputFile
from studio_generation.records import NewGeneration
from studio_generation.repository import GenerationRepository, Holder
from studio_runtime.clock import now_ms
from studio_runtime.ids import new_id

from tests.support.mongo_commands import CommandLog, logged_database

Doc = dict[str, Any]
LEASE_MS = 60_000


@pytest.fixture
async def logged(
    mongo_url: str, mongo_db_name: str
) -> AsyncIterator[tuple[AsyncDatabase[Doc], CommandLog]]:
    async with logged_database(mongo_url, mongo_db_name) as database:
        yield database


async def counters(db: AsyncDatabase[Doc]) -> dict[str, int]:
    """Every user's active counter, by `_id`."""
    found = db["generations"].find({"_id": {"$regex": "^active-count:"}})
    return {doc["_id"]: doc["count"] async for doc in found}


def new_job(owner: str = "user-1", n: int = 0) -> NewGeneration:
    return NewGeneration(
        id=new_id(),
        owner=owner,
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


async def pending_jobs(store: GenerationRepository, count: int) -> list[str]:
    """`count` generations accepted at once, each stored and counted as active."""

    async def accept(n: int) -> str:
        job = new_job(n=n)
        _, counted = await store.insert(job, active_limit=0)
        assert counted
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


async def test_a_restarted_worker_takes_back_its_previous_lifes_jobs_and_no_one_elses(
    any_db: AsyncDatabase[Doc],
) -> None:
    store = GenerationRepository(any_db)
    mine, theirs, unnamed, finished = await pending_jobs(store, 4)
    before = Holder("worker-a", "life-1")
    for job, holder in ((mine, before), (theirs, Holder("worker-b", "life-1")), (unnamed, None)):
        assert await store.claim(job, lease_ms=LEASE_MS, holder=holder) is not None
    assert await store.claim(finished, lease_ms=LEASE_MS, holder=before) is not None
    assert await store.complete(finished, output(finished)) is not None

    after = Holder("worker-a", "life-2")  # the same worker, started again after it died
    # Its earlier life's running job, and only that one, though every lease is still good.
    assert await store.held_by_previous_life(after) == [mine]
    assert await store.held_by_previous_life(before) == []  # a living worker has none
    assert await store.held_by_previous_life(Holder("", "life-2")) == []  # no name, no claim
    for job in (theirs, unnamed, finished):
        assert await store.claim(job, lease_ms=LEASE_MS, holder=after) is None
    taken = await store.claim(mine, lease_ms=LEASE_MS, holder=after)
    assert taken is not None
    assert (taken.status, taken.attempts) == (GenerationStatus.PROCESSING, 2)
    # Now held by this life: a third claim by it, or by another, finds nothing to take.
    assert await store.claim(mine, lease_ms=LEASE_MS, holder=after) is None
    assert await store.held_by_previous_life(after) == []
    assert await store.claim(mine, lease_ms=LEASE_MS, holder=Holder("worker-b", "x")) is None


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
    assert await counters(any_db) == {"active-count:user-1": 0}


async def test_a_burst_of_jobs_takes_a_few_commands_from_accept_to_complete(
    logged: tuple[AsyncDatabase[Doc], CommandLog],
) -> None:
    db, commands = logged
    store = GenerationRepository(db)
    ids = await pending_jobs(store, 40)
    claimed = await asyncio.gather(*(store.claim(job, lease_ms=LEASE_MS) for job in ids))
    finished = await asyncio.gather(*(store.complete(job, output(job)) for job in ids))
    await asyncio.gather(*(store.release_active(record.owner) for record in finished if record))
    sent = len(commands.names)

    assert await db["generations"].count_documents({"owner": "user-1"}) == 40
    assert all(claimed) and all(finished)
    assert await counters(db) == {"active-count:user-1": 0}
    # One by one: 40 accepts (each stored and counted), claims, completions, slots given back.
    assert sent <= 25, commands.names


async def test_a_burst_of_requests_takes_exactly_the_free_active_slots(
    any_db: AsyncDatabase[Doc],
) -> None:
    store = GenerationRepository(any_db)
    assert await store.reserve_active("ann", 5)  # one active already

    burst = await asyncio.gather(*(store.reserve_active("ann", 5) for _ in range(8)))
    unlimited = await asyncio.gather(*(store.reserve_active("bo", 0) for _ in range(7)))

    assert burst.count(True) == 4
    assert all(unlimited)
    assert await counters(any_db) == {"active-count:ann": 5, "active-count:bo": 7}
    # A slot given back is free again, for one request only.
    await store.release_active("ann")
    again = await asyncio.gather(*(store.reserve_active("ann", 5) for _ in range(3)))
    assert again.count(True) == 1


async def test_a_burst_of_accepts_stores_every_record_and_counts_exactly_the_free_slots(
    any_db: AsyncDatabase[Doc],
) -> None:
    store = GenerationRepository(any_db)
    assert await store.reserve_active("ann", 5)  # one active already
    jobs = [new_job("ann", n) for n in range(8)] + [new_job("bo", n) for n in range(3)]

    accepted = await asyncio.gather(*(store.insert(job, active_limit=5) for job in jobs))

    counted = [slot for _, slot in accepted]
    assert counted[:8].count(True) == 4  # ann's four free slots, no more
    assert all(counted[8:])
    assert [record.id for record, _ in accepted] == [job.id for job in jobs]
    stored = {
        doc["_id"] async for doc in any_db["generations"].find({"owner": {"$in": ["ann", "bo"]}})
    }
    assert stored == {job.id for job in jobs}  # refused ones too, for the caller to withdraw
    assert await counters(any_db) == {"active-count:ann": 5, "active-count:bo": 3}


async def test_accepts_store_and_count_in_one_command_per_burst(
    logged: tuple[AsyncDatabase[Doc], CommandLog],
) -> None:
    db, commands = logged
    store = GenerationRepository(db)

    lone = await store.insert(new_job(), active_limit=50)
    after_one = list(commands.names)
    burst = await asyncio.gather(*(store.insert(new_job(n=n), active_limit=50) for n in range(30)))
    for_burst = commands.names[1:]

    assert lone[1] and all(counted for _, counted in burst)
    assert after_one == ["update"]  # the record and its slot: one command
    # The first of the burst goes out at once, the others together in the next command.
    assert for_burst in (["update"], ["update", "update"]), for_burst


async def test_counters_kept_in_the_old_collection_move_beside_the_generations(
    any_db: AsyncDatabase[Doc],
) -> None:
    await any_db["active_counts"].insert_many(
        [{"_id": "ann", "count": 3}, {"_id": "bo", "count": 0}]
    )
    store = GenerationRepository(any_db)

    await asyncio.gather(store.ensure_indexes(), GenerationRepository(any_db).ensure_indexes())

    assert await counters(any_db) == {"active-count:ann": 3, "active-count:bo": 0}
    assert await any_db["active_counts"].count_documents({}) == 0
    # ann's three slots still count against her limit of four.
    assert [await store.reserve_active("ann", 4) for _ in range(2)] == [True, False]
