"""Newest-first listing (`studio_runtime.newest_first`) on every MongoDB-protocol server we run
on: records stored before `sort_id` existed get theirs once, the index an earlier version built
for the scope gives way to the new one, and pages follow each other with nothing skipped or
repeated."""

from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from studio_runtime.ids import new_id
from studio_runtime.newest_first import MIGRATIONS, SORT_ID, ensure_newest_first, with_sort_id
from studio_runtime.pagination import cursor_filter, split_page

Doc = dict[str, Any]


async def _index_fields(db: AsyncDatabase[Doc], collection: str) -> list[list[str]]:
    info = await db[collection].index_information()
    return sorted([field for field, _ in index["key"]] for index in info.values())


async def test_records_of_an_earlier_version_are_given_their_sort_id_once(
    any_db: AsyncDatabase[Doc],
) -> None:
    records = any_db["records"]
    embedded = (await any_db.client.admin.command("buildInfo")).get("process") == "nx_27017"
    # As an earlier version stored them: no `sort_id`, and its index, which on nx-27017 could
    # not name `_id`.
    old = [{"_id": new_id(), "owner": "ann", "n": n} for n in range(2_500)]
    await records.insert_many(old)
    await records.create_index("owner" if embedded else [("owner", 1), ("_id", -1)])

    await ensure_newest_first(records, ("owner",))

    assert await records.count_documents({SORT_ID: {"$exists": False}}) == 0
    async for doc in records.find({}):
        assert doc[SORT_ID] == doc["_id"]
    # On nx-27017 the index on the owner alone stays: without an index named for it, an
    # equality on the owner is answered by a scan.
    assert await _index_fields(any_db, "records") == (
        [["_id"], ["owner"], ["owner", SORT_ID]] if embedded else [["_id"], ["owner", SORT_ID]]
    )
    assert await any_db[MIGRATIONS].find_one({"_id": f"records.{SORT_ID}"}) is not None

    # Once: a later start reads the marker and does not scan the collection again.
    late = {"_id": new_id(), "owner": "ann", "n": -1}
    await records.insert_one(late)
    await ensure_newest_first(records, ("owner",))
    stored = await records.find_one({"_id": late["_id"]})
    assert stored is not None and SORT_ID not in stored


async def test_pages_follow_each_other_newest_first(any_db: AsyncDatabase[Doc]) -> None:
    records = any_db["records"]
    await ensure_newest_first(records, ("owner",), ("owner", "project_id"))
    ids = [new_id() for _ in range(23)]
    await records.insert_many(
        [with_sort_id({"_id": i, "owner": "ann", "project_id": "p"}) for i in ids]
        + [with_sort_id({"_id": new_id(), "owner": "bob", "project_id": "p"})]
    )

    seen: list[str] = []
    cursor: str | None = None
    while True:
        found = (
            records.find({"owner": "ann", "project_id": "p", **cursor_filter(cursor)})
            .sort(SORT_ID, DESCENDING)
            .limit(6)
        )
        page, cursor = split_page([doc async for doc in found], 5, lambda doc: doc["_id"])
        seen += [doc["_id"] for doc in page]
        if cursor is None:
            break
    assert seen == sorted(ids, reverse=True)
