"""Grouped database calls (`studio_runtime.grouped`) on the real MongoDB-protocol server: every
caller's part is done, with its own answer, when its call returns, a burst takes far fewer
commands than callers, a record stored already counts as stored, and a failed command reaches
every caller of it."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from studio_runtime.grouped import GroupedInserts, GroupedUpdates

from tests.support.mongo_commands import CommandLog, logged_database

Doc = dict[str, Any]


@pytest.fixture
async def ledger(
    mongo_url: str, mongo_db_name: str
) -> AsyncIterator[tuple[AsyncCollection[Doc], CommandLog]]:
    async with logged_database(mongo_url, mongo_db_name) as (db, commands):
        yield db["ledger"], commands


async def test_a_burst_is_stored_whole_in_a_few_commands(
    ledger: tuple[AsyncCollection[Doc], CommandLog],
) -> None:
    collection, commands = ledger
    grouped = GroupedInserts(collection)

    await asyncio.gather(*(grouped.insert({"_id": f"e{n}", "n": n}) for n in range(200)))

    assert await collection.count_documents({}) == 200
    assert sorted(d["n"] for d in await collection.find({}).to_list()) == list(range(200))
    # The first record goes alone, the rest join the writes in flight.
    assert commands.count("insert") <= 3, commands.names


async def test_a_lone_record_is_written_at_once_and_stored_on_return(
    ledger: tuple[AsyncCollection[Doc], CommandLog],
) -> None:
    collection, commands = ledger
    grouped = GroupedInserts(collection)

    for n in range(3):
        await grouped.insert({"_id": f"solo{n}"})
        assert await collection.find_one({"_id": f"solo{n}"}) is not None
    assert commands.count("insert") == 3


async def test_a_record_stored_already_counts_as_stored(
    ledger: tuple[AsyncCollection[Doc], CommandLog],
) -> None:
    collection, _ = ledger
    await collection.insert_one({"_id": "seen", "first": True})
    grouped = GroupedInserts(collection)

    answers = await asyncio.gather(
        grouped.insert({"_id": "seen", "first": False}),
        grouped.insert({"_id": "new"}),
        grouped.insert({"_id": "new"}),  # two deliveries of one event at once
        grouped.insert({"_id": "other"}),
    )

    assert list(answers) == [False, True, False, True]  # which of them stored their record
    assert (await collection.find_one({"_id": "seen"}) or {})["first"] is True
    assert await collection.count_documents({"_id": "new"}) == 1


async def test_a_failed_write_reaches_every_caller_of_it(
    mongo_url: str, mongo_db_name: str
) -> None:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_url)
    grouped = GroupedInserts(client[mongo_db_name]["ledger"])
    await client.close()  # every write now fails

    results = await asyncio.gather(
        *(grouped.insert({"_id": f"lost{n}"}) for n in range(5)), return_exceptions=True
    )

    assert all(isinstance(result, Exception) for result in results), results


async def test_a_caller_that_gives_up_does_not_stop_the_others(
    ledger: tuple[AsyncCollection[Doc], CommandLog],
) -> None:
    collection, _ = ledger
    grouped = GroupedInserts(collection)
    first = asyncio.create_task(grouped.insert({"_id": "impatient"}))
    others = [asyncio.create_task(grouped.insert({"_id": f"patient{n}"})) for n in range(3)]
    await asyncio.sleep(0)  # the write has started
    first.cancel()

    await asyncio.gather(*others)

    assert await collection.count_documents({"_id": {"$regex": "^patient"}}) == 3


async def test_updates_of_a_burst_are_applied_in_order_each_with_its_own_condition(
    ledger: tuple[AsyncCollection[Doc], CommandLog],
) -> None:
    collection, commands = ledger
    await collection.insert_many([{"_id": "ann", "count": 5}, {"_id": "bo", "count": 3}])
    counters = GroupedUpdates(collection)

    def give_back(owner: str) -> Any:
        return counters.update({"_id": owner, "count": {"$gt": 0}}, {"$inc": {"count": -1}})

    # More slots given back than ann holds: each statement sees the ones before it.
    await asyncio.gather(*(give_back("ann") for _ in range(8)), give_back("bo"), give_back("bo"))

    counts = {doc["_id"]: doc["count"] async for doc in collection.find({})}
    assert counts == {"ann": 0, "bo": 1}
    assert commands.count("update") <= 3, commands.names
