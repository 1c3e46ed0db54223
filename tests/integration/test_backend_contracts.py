"""Contract tests for the backends: the behaviour our code relies on, checked on real servers.

If a backend (a new NATS/MongoDB/S3 version, or one of the local stand-ins: nx-27017,
SecantusDB, SeaweedFS) breaks something the services depend on, these tests fail first
and loudly. Known gaps of a stand-in are pinned with strict xfails, so a fix upstream
shows up too. docs/testing.md lists what the code may rely on, from these tests.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import nats
import pytest
from minio import Minio
from minio.error import S3Error
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, InsertOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from tests.support.servers import S3Server

Doc = dict[str, Any]
MiB = 1024 * 1024

# --- MongoDB -------------------------------------------------------------------------


@pytest.fixture(params=["mongo", "secantus"])
def mongo_target(request: pytest.FixtureRequest) -> str:
    """Each MongoDB test runs against the main MongoDB backend and against SecantusDB."""
    return str(request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture
async def db(mongo_target: str, mongo_db_name: str) -> AsyncIterator[AsyncDatabase[Doc]]:
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_target, serverSelectionTimeoutMS=5000)
    try:
        yield client[mongo_db_name]
    finally:
        await client.close()


@pytest.fixture
async def server_kind(db: AsyncDatabase[Doc]) -> str:
    """ "nx-27017", "secantusdb" or "mongodb", read from the server's buildInfo."""
    info = await db.client.admin.command("buildInfo")
    if info.get("process") == "nx_27017":
        return "nx-27017"
    if "secantusVersion" in info:
        return "secantusdb"
    return "mongodb"


def known_gap(request: pytest.FixtureRequest, server_kind: str, gapped: str, reason: str) -> None:
    """Mark this test as a strict xfail on ``gapped`` only: it must keep failing there."""
    if server_kind == gapped:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"{gapped}: {reason}"))


async def test_insert_and_find(db: AsyncDatabase[Doc]) -> None:
    jobs = db.jobs
    await jobs.insert_one({"_id": "j1", "owner": "ann", "status": "queued", "n": 1})
    await jobs.insert_many(
        [
            {"_id": "j2", "owner": "ann", "status": "done", "n": 2},
            {"_id": "j3", "owner": "bob", "status": "queued", "n": 3},
        ]
    )

    assert await jobs.find_one({"_id": "j1"}) == {
        "_id": "j1",
        "owner": "ann",
        "status": "queued",
        "n": 1,
    }
    assert await jobs.find_one({"_id": "missing"}) is None
    ann = [d["_id"] async for d in jobs.find({"owner": "ann"}).sort("_id", ASCENDING)]
    assert ann == ["j1", "j2"]
    assert await jobs.count_documents({"status": "queued"}) == 2
    assert await jobs.find_one({"_id": "j3"}, {"owner": 1, "_id": 0}) == {"owner": "bob"}


async def test_unique_index_refuses_duplicates(db: AsyncDatabase[Doc]) -> None:
    users = db.users
    await users.create_index("email", unique=True)
    await users.create_index([("project", ASCENDING), ("name", ASCENDING)], unique=True)
    await users.insert_one({"email": "a@x", "project": "p", "name": "n1"})
    await users.insert_one({"email": "b@x", "project": "p", "name": "n2"})

    with pytest.raises(DuplicateKeyError):
        await users.insert_one({"email": "a@x", "project": "q", "name": "n9"})
    with pytest.raises(DuplicateKeyError):  # compound key
        await users.insert_one({"email": "c@x", "project": "p", "name": "n1"})
    with pytest.raises(DuplicateKeyError):  # an update may not create a duplicate either
        await users.update_one({"email": "b@x"}, {"$set": {"email": "a@x"}})
    assert await users.count_documents({}) == 2


async def test_conditional_state_transition(db: AsyncDatabase[Doc]) -> None:
    jobs = db.jobs
    await jobs.insert_one({"_id": "j", "status": "queued", "attempts": 0})

    after = await jobs.find_one_and_update(
        {"_id": "j", "status": "queued"},
        {"$set": {"status": "running"}, "$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )
    assert after == {"_id": "j", "status": "running", "attempts": 1}

    # A second worker still expecting "queued" loses: no match, nothing written.
    again = await jobs.find_one_and_update(
        {"_id": "j", "status": "queued"},
        {"$set": {"status": "running"}, "$inc": {"attempts": 1}},
        return_document=ReturnDocument.AFTER,
    )
    assert again is None
    assert await jobs.find_one({"_id": "j"}) == after

    before = await jobs.find_one_and_update(
        {"_id": "j", "status": "running"}, {"$set": {"status": "done"}}
    )
    assert before == after  # default return_document is BEFORE


async def test_concurrent_transitions_have_one_winner(db: AsyncDatabase[Doc]) -> None:
    await db.jobs.insert_one({"_id": "j", "status": "queued", "attempts": 0})

    async def claim() -> Doc | None:
        return await db.jobs.find_one_and_update(
            {"_id": "j", "status": "queued"},
            {"$set": {"status": "running"}, "$inc": {"attempts": 1}},
            return_document=ReturnDocument.AFTER,
        )

    results = await asyncio.gather(*(claim() for _ in range(8)))
    assert [r for r in results if r is not None] == [
        {"_id": "j", "status": "running", "attempts": 1}
    ]
    assert await db.jobs.find_one({"_id": "j"}) == {"_id": "j", "status": "running", "attempts": 1}


async def test_sort_skip_limit(db: AsyncDatabase[Doc]) -> None:
    items = db.items
    await items.insert_many([{"_id": f"i{n:02d}", "group": n % 3, "n": n} for n in range(12)])

    top = [d["n"] async for d in items.find().sort("n", DESCENDING).limit(3)]
    assert top == [11, 10, 9]
    page = [
        (d["group"], d["n"])
        async for d in items.find({"n": {"$gte": 2}})
        .sort([("group", ASCENDING), ("n", DESCENDING)])
        .skip(1)
        .limit(3)
    ]
    assert page == [(0, 6), (0, 3), (1, 10)]

    # Claiming "the oldest queued" is find_one_and_update with a sort.
    claimed = await items.find_one_and_update(
        {"group": 1},
        {"$set": {"claimed": True}},
        sort=[("n", ASCENDING)],
        return_document=ReturnDocument.AFTER,
    )
    assert claimed is not None
    assert (claimed["n"], claimed["claimed"]) == (1, True)


async def test_update_operators(db: AsyncDatabase[Doc]) -> None:
    docs = db.docs
    await docs.insert_one({"_id": 1, "count": 5, "meta": {"a": 1}, "tags": ["x"], "tmp": 1})

    await docs.update_one(
        {"_id": 1},
        {
            "$inc": {"count": -2, "fresh": 1, "meta.a": 10},
            "$set": {"meta.b": "new"},
            "$unset": {"tmp": ""},
            "$push": {"tags": "y"},
        },
    )
    await docs.update_one({"_id": 1}, {"$addToSet": {"tags": "x"}})  # already there
    await docs.update_one({"_id": 1}, {"$pull": {"tags": "x"}})

    assert await docs.find_one({"_id": 1}) == {
        "_id": 1,
        "count": 3,
        "fresh": 1,
        "meta": {"a": 11, "b": "new"},
        "tags": ["y"],
    }


async def test_upsert(db: AsyncDatabase[Doc]) -> None:
    counters = db.counters
    first = await counters.update_one(
        {"_id": "c"}, {"$inc": {"n": 1}, "$setOnInsert": {"created": "now"}}, upsert=True
    )
    assert (first.matched_count, first.upserted_id) == (0, "c")
    second = await counters.update_one(
        {"_id": "c"}, {"$inc": {"n": 1}, "$setOnInsert": {"created": "later"}}, upsert=True
    )
    assert (second.matched_count, second.modified_count, second.upserted_id) == (1, 1, None)
    assert await counters.find_one({"_id": "c"}) == {"_id": "c", "n": 2, "created": "now"}

    made = await counters.find_one_and_update(
        {"_id": "d"}, {"$inc": {"n": 5}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert made == {"_id": "d", "n": 5}


async def test_query_operators(db: AsyncDatabase[Doc]) -> None:
    runs = db.runs
    await runs.insert_many(
        [
            {"_id": 1, "status": "queued", "n": 1, "outputs": [{"kind": "image", "ok": True}]},
            {"_id": 2, "status": "running", "n": 5, "outputs": [{"kind": "video", "ok": False}]},
            {"_id": 3, "status": "done", "n": 9, "outputs": [], "error": "boom"},
        ]
    )

    async def ids(query: Doc) -> list[int]:
        return [d["_id"] async for d in runs.find(query).sort("n", ASCENDING)]

    assert await ids({"status": {"$in": ["queued", "done"]}}) == [1, 3]
    assert await ids({"status": {"$nin": ["queued"]}}) == [2, 3]
    assert await ids({"status": {"$ne": "running"}}) == [1, 3]
    assert await ids({"n": {"$gt": 1, "$lte": 9}}) == [2, 3]
    assert await ids({"$or": [{"n": {"$lt": 2}}, {"status": "done"}]}) == [1, 3]
    assert await ids({"error": {"$exists": True}}) == [3]
    assert await ids({"error": {"$exists": False}}) == [1, 2]
    assert await ids({"error": None}) == [1, 2]  # null matches a missing field too
    assert await ids({"error": {"$ne": "boom"}}) == [1, 2]  # so do $ne and $nin
    assert await ids({"error": {"$nin": ["boom"]}}) == [1, 2]
    assert await ids({"outputs.kind": "video"}) == [2]
    assert await ids({"outputs": {"$elemMatch": {"kind": "image", "ok": True}}}) == [1]
    assert await ids({"outputs": {"$elemMatch": {"kind": "image", "ok": False}}}) == []


async def test_positional_operator_update(db: AsyncDatabase[Doc]) -> None:
    await db.gens.insert_one(
        {"_id": "g", "outputs": [{"slot": 0, "asset_id": None}, {"slot": 1, "asset_id": None}]}
    )
    await db.gens.update_one(
        {"_id": "g", "outputs.slot": 1}, {"$set": {"outputs.$.asset_id": "a1"}}
    )
    assert await db.gens.find_one({"_id": "g"}) == {
        "_id": "g",
        "outputs": [{"slot": 0, "asset_id": None}, {"slot": 1, "asset_id": "a1"}],
    }


async def test_aggregate_match_group_sort(db: AsyncDatabase[Doc]) -> None:
    await db.usage.insert_many(
        [{"user": u, "cost": c} for u, c in [("a", 1), ("b", 2), ("a", 3), ("c", 4)]]
    )
    cursor = await db.usage.aggregate(
        [
            {"$match": {"cost": {"$gte": 2}}},
            {"$group": {"_id": "$user", "total": {"$sum": "$cost"}}},
            {"$sort": {"_id": 1}},
        ]
    )
    assert [row async for row in cursor] == [
        {"_id": "a", "total": 3},
        {"_id": "b", "total": 2},
        {"_id": "c", "total": 4},
    ]


async def test_datetimes_round_trip_in_utc_milliseconds(db: AsyncDatabase[Doc]) -> None:
    at = dt.datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC)
    await db.events.insert_many([{"_id": i, "at": at + dt.timedelta(minutes=i)} for i in range(3)])
    found = await db.events.find_one({"at": {"$gt": at}}, sort=[("at", DESCENDING)])
    assert found is not None
    # BSON dates are UTC milliseconds; pymongo gives naive datetimes unless tz_aware=True.
    assert found["at"] == (at + dt.timedelta(minutes=2)).replace(microsecond=123000, tzinfo=None)


async def test_bulk_writes(db: AsyncDatabase[Doc]) -> None:
    await db.bulk.create_index("key", unique=True)
    result = await db.bulk.bulk_write(
        [
            InsertOne({"_id": 1, "key": "a", "v": 0}),
            UpdateOne({"_id": 1}, {"$inc": {"v": 5}}),
            UpdateOne({"_id": 2}, {"$set": {"key": "b", "v": 1}}, upsert=True),
        ]
    )
    assert (result.inserted_count, result.modified_count, result.upserted_count) == (1, 1, 1)

    with pytest.raises(BulkWriteError) as caught:
        await db.bulk.insert_many([{"key": "c"}, {"key": "a"}, {"key": "d"}], ordered=False)
    assert caught.value.details["nInserted"] == 2
    assert sorted(await db.bulk.distinct("key")) == ["a", "b", "c", "d"]


# Known nx-27017 gaps: each must still fail there (strict xfail) and pass elsewhere.


async def test_id_next_to_or_limits_the_update_to_that_record(
    db: AsyncDatabase[Doc], server_kind: str, request: pytest.FixtureRequest
) -> None:
    known_gap(request, server_kind, "nx-27017", "ignores _id beside $or: updates another record")
    await db.jobs.insert_many(
        [
            {"_id": "a", "status": "processing", "lease": 5},
            {"_id": "b", "status": "processing", "lease": 50_000},
        ]
    )
    updated = await db.jobs.find_one_and_update(
        {"_id": "b", "$or": [{"status": "pending"}, {"lease": {"$lt": 100}}]},
        {"$set": {"taken": True}},
    )
    assert updated is None
    assert await db.jobs.count_documents({"taken": True}) == 0


async def test_id_and_or_inside_and_limit_the_update_to_that_record(
    db: AsyncDatabase[Doc],
) -> None:
    """The form the services use where they need `$or` beside an `_id`."""
    await db.jobs.insert_many(
        [
            {"_id": "a", "status": "processing", "lease": 5},
            {"_id": "b", "status": "processing", "lease": 50_000},
        ]
    )
    updated = await db.jobs.find_one_and_update(
        {"$and": [{"_id": "b"}, {"$or": [{"status": "pending"}, {"lease": {"$lt": 100}}]}]},
        {"$set": {"taken": True}},
    )
    assert updated is None
    assert await db.jobs.find_one({"taken": True}) is None


async def test_update_array_element_by_index(
    db: AsyncDatabase[Doc], server_kind: str, request: pytest.FixtureRequest
) -> None:
    known_gap(request, server_kind, "nx-27017", "ignores $set on 'outputs.0.asset_id'")
    await db.gens.insert_one({"_id": "g", "outputs": [{"asset_id": None}, {"asset_id": None}]})
    await db.gens.update_one({"_id": "g"}, {"$set": {"outputs.0.asset_id": "a0"}})
    assert await db.gens.find_one({"_id": "g"}) == {
        "_id": "g",
        "outputs": [{"asset_id": "a0"}, {"asset_id": None}],
    }


async def test_update_with_array_filters(
    db: AsyncDatabase[Doc], server_kind: str, request: pytest.FixtureRequest
) -> None:
    known_gap(request, server_kind, "nx-27017", "ignores array_filters ($[name]) updates")
    await db.gens.insert_one({"_id": "g", "outputs": [{"slot": 0, "v": 0}, {"slot": 1, "v": 0}]})
    await db.gens.update_one(
        {"_id": "g"}, {"$set": {"outputs.$[o].v": 9}}, array_filters=[{"o.slot": 1}]
    )
    assert await db.gens.find_one({"_id": "g"}) == {
        "_id": "g",
        "outputs": [{"slot": 0, "v": 0}, {"slot": 1, "v": 9}],
    }


async def test_partial_unique_index(
    db: AsyncDatabase[Doc], server_kind: str, request: pytest.FixtureRequest
) -> None:
    known_gap(request, server_kind, "nx-27017", "ignores partialFilterExpression")
    await db.slots.create_index("name", unique=True, partialFilterExpression={"active": True})
    await db.slots.insert_many([{"name": "a", "active": False}, {"name": "a", "active": True}])
    with pytest.raises(DuplicateKeyError):
        await db.slots.insert_one({"name": "a", "active": True})


async def test_binary_values_match_in_queries(
    mongo_target: str,
    mongo_db_name: str,
    server_kind: str,
    request: pytest.FixtureRequest,
) -> None:
    known_gap(request, server_kind, "nx-27017", "stores UUID/bytes without subtype, no match")
    client: AsyncMongoClient[Doc] = AsyncMongoClient(mongo_target, uuidRepresentation="standard")
    try:
        coll = client[mongo_db_name].blobs
        key = uuid.uuid4()
        await coll.insert_one({"_id": key, "raw": b"\x00\x01"})
        assert await coll.find_one({"_id": key}) == {"_id": key, "raw": b"\x00\x01"}
        assert await coll.count_documents({"raw": b"\x00\x01"}) == 1
    finally:
        await client.close()


async def test_null_is_not_missing(
    db: AsyncDatabase[Doc], server_kind: str, request: pytest.FixtureRequest
) -> None:
    known_gap(request, server_kind, "nx-27017", "treats a field set to null as missing")
    await db.nulls.insert_many([{"_id": 1, "error": None}, {"_id": 2}, {"_id": 3, "error": "x"}])

    async def ids(query: Doc) -> list[int]:
        return sorted([d["_id"] async for d in db.nulls.find(query)])

    assert await ids({"error": {"$exists": True}}) == [1, 3]
    assert await ids({"error": {"$ne": None}}) == [3]


async def test_regex_on_a_list_matches_its_elements(
    db: AsyncDatabase[Doc], server_kind: str, request: pytest.FixtureRequest
) -> None:
    known_gap(request, server_kind, "nx-27017", "matches $regex on a list against its JSON text")
    await db.tagged.insert_many([{"_id": 1, "tags": ["a[b"]}, {"_id": 2, "tags": ["c", "d"]}])

    async def ids(query: Doc) -> list[int]:
        return sorted([d["_id"] async for d in db.tagged.find(query)])

    assert await ids({"tags": {"$regex": "\\[", "$options": "i"}}) == [1]
    assert await ids({"tags": {"$regex": ","}}) == []


async def test_regex_in_elem_match_matches_list_elements(db: AsyncDatabase[Doc]) -> None:
    await db.tagged.insert_many([{"_id": 1, "tags": ["a[b"]}, {"_id": 2, "tags": ["c", "d"]}])

    async def ids(pattern: str) -> list[int]:
        query = {"tags": {"$elemMatch": {"$regex": pattern, "$options": "i"}}}
        return sorted([d["_id"] async for d in db.tagged.find(query)])

    assert await ids("\\[") == [1]
    assert await ids(",") == []
    assert await ids("C") == [2]


async def test_sort_on_integer_id(
    db: AsyncDatabase[Doc], server_kind: str, request: pytest.FixtureRequest
) -> None:
    known_gap(request, server_kind, "nx-27017", "sorts a non-string _id as text without a filter")
    await db.nums.insert_many([{"_id": n} for n in range(12)])
    assert [d["_id"] async for d in db.nums.find().sort("_id", ASCENDING)] == list(range(12))


# --- NATS JetStream ------------------------------------------------------------------


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc: NatsClient = await nats.connect(nats_url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        yield nc.jetstream(timeout=5)
    finally:
        await nc.close()


@pytest.fixture
async def stream(js: JetStreamContext, nats_prefix: str) -> str:
    """A stream capturing ``<prefix>.>``; the nats_prefix fixture deletes it afterwards."""
    name = f"S_{nats_prefix}"
    await js.add_stream(name=name, subjects=[f"{nats_prefix}.>"])
    return name


async def test_publish_deduplicates_on_msg_id(
    js: JetStreamContext, stream: str, nats_prefix: str
) -> None:
    subject = f"{nats_prefix}.jobs.created"
    first = await js.publish(subject, b"one", headers={"Nats-Msg-Id": "evt-1"})
    second = await js.publish(subject, b"one again", headers={"Nats-Msg-Id": "evt-1"})
    third = await js.publish(subject, b"two", headers={"Nats-Msg-Id": "evt-2"})

    assert (first.stream, first.seq, bool(first.duplicate)) == (stream, 1, False)
    assert (second.seq, second.duplicate) == (1, True)
    assert (third.seq, bool(third.duplicate)) == (2, False)
    info = await js.stream_info(stream)
    assert info.state.messages == 2


async def test_durable_pull_consumer_explicit_ack(
    js: JetStreamContext, stream: str, nats_prefix: str
) -> None:
    for n in range(3):
        await js.publish(f"{nats_prefix}.work", f"m{n}".encode())
    config = ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=1.0)
    sub = await js.pull_subscribe(f"{nats_prefix}.work", durable="worker", config=config)

    msgs = await sub.fetch(2, timeout=5)
    assert [m.data for m in msgs] == [b"m0", b"m1"]
    for m in msgs:
        await m.ack_sync()
    await sub.unsubscribe()

    # The durable consumer remembers its position across subscriptions.
    sub = await js.pull_subscribe(f"{nats_prefix}.work", durable="worker", config=config)
    [last] = await sub.fetch(1, timeout=5)
    assert last.data == b"m2"
    await last.ack_sync()

    # Acked messages are not redelivered: only a message still awaiting its ack comes back
    # after ack_wait, and the server (ack_sync waited for it to record each ack) holds none.
    info = await js.consumer_info(stream, "worker")
    assert (info.num_pending, info.num_ack_pending, info.num_redelivered) == (0, 0, 0)
    assert info.delivered.consumer_seq == info.ack_floor.consumer_seq == 3


async def test_nak_redelivers(js: JetStreamContext, stream: str, nats_prefix: str) -> None:
    await js.publish(f"{nats_prefix}.work", b"retry me")
    sub = await js.pull_subscribe(
        f"{nats_prefix}.work",
        durable="worker",
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30),
    )
    [msg] = await sub.fetch(1, timeout=5)
    assert msg.metadata.num_delivered == 1
    await msg.nak()

    [again] = await sub.fetch(1, timeout=5)  # well before ack_wait: the NAK caused it
    assert (again.data, again.metadata.num_delivered) == (b"retry me", 2)
    assert again.metadata.sequence.stream == msg.metadata.sequence.stream
    await again.ack_sync()
    # Acked after the redelivery: nothing is left for the consumer to hand out again.
    info = await js.consumer_info(stream, "worker")
    assert (info.num_pending, info.num_ack_pending) == (0, 0)
    assert info.ack_floor.stream_seq == msg.metadata.sequence.stream


# --- S3 ------------------------------------------------------------------------------


def _put(client: Minio, bucket: str, name: str, data: bytes, **kwargs: Any) -> None:
    client.put_object(bucket, name, io.BytesIO(data), length=len(data), **kwargs)


def test_put_get_stat(s3: S3Server, s3_bucket: str) -> None:
    client = s3.client()
    data = b"\x89PNG fake image bytes " * 100
    _put(client, s3_bucket, "assets/a.png", data, content_type="image/png")

    response = client.get_object(s3_bucket, "assets/a.png")
    try:
        assert response.read() == data
    finally:
        response.close()
        response.release_conn()
    stat = client.stat_object(s3_bucket, "assets/a.png")
    assert stat.size == len(data)
    assert stat.content_type == "image/png"
    assert stat.etag == hashlib.md5(data).hexdigest()  # single-part ETag is the MD5


def test_ranged_get(s3: S3Server, s3_bucket: str) -> None:
    client = s3.client()
    data = bytes(range(256)) * 4
    _put(client, s3_bucket, "blob", data)
    response = client.get_object(s3_bucket, "blob", offset=100, length=50)
    try:
        assert response.status == 206
        assert response.read() == data[100:150]
    finally:
        response.close()
        response.release_conn()


def test_multipart_put(s3: S3Server, s3_bucket: str) -> None:
    client = s3.client()
    data = os.urandom(11 * MiB)  # three parts of at most 5 MiB
    _put(client, s3_bucket, "video.mp4", data, part_size=5 * MiB, content_type="video/mp4")

    stat = client.stat_object(s3_bucket, "video.mp4")
    assert stat.size == len(data)
    assert stat.content_type == "video/mp4"
    assert stat.etag is not None
    assert stat.etag.endswith("-3")  # S3's multipart ETag: md5-of-md5s "-" part count

    response = client.get_object(s3_bucket, "video.mp4")
    try:
        assert hashlib.sha256(response.read()).digest() == hashlib.sha256(data).digest()
    finally:
        response.close()
        response.release_conn()
    boundary = 5 * MiB - 10  # a range spanning the first part boundary
    response = client.get_object(s3_bucket, "video.mp4", offset=boundary, length=20)
    try:
        assert response.read() == data[boundary : boundary + 20]
    finally:
        response.close()
        response.release_conn()


def test_presigned_get(s3: S3Server, s3_bucket: str) -> None:
    client = s3.client()
    data = b"0123456789abcdef" * 64
    _put(client, s3_bucket, "shared/file.bin", data)
    url = client.presigned_get_object(s3_bucket, "shared/file.bin", expires=dt.timedelta(minutes=5))

    whole = httpx.get(url, timeout=10)
    assert whole.status_code == 200
    assert whole.content == data
    part = httpx.get(url, headers={"Range": "bytes=16-47"}, timeout=10)
    assert part.status_code == 206
    assert part.content == data[16:48]
    assert part.headers["content-range"] == f"bytes 16-47/{len(data)}"

    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert httpx.get(tampered, timeout=10).status_code == 403


def test_list_and_delete(s3: S3Server, s3_bucket: str) -> None:
    client = s3.client()
    for name in ["p1/a.png", "p1/b.png", "p1/sub/c.png", "p2/d.png"]:
        _put(client, s3_bucket, name, name.encode())

    def names(prefix: str, recursive: bool = True) -> list[str | None]:
        return sorted(
            o.object_name for o in client.list_objects(s3_bucket, prefix, recursive=recursive)
        )

    assert names("p1/") == ["p1/a.png", "p1/b.png", "p1/sub/c.png"]
    assert names("p1/", recursive=False) == ["p1/a.png", "p1/b.png", "p1/sub/"]

    client.remove_object(s3_bucket, "p1/a.png")
    assert names("p1/") == ["p1/b.png", "p1/sub/c.png"]
    with pytest.raises(S3Error) as caught:
        client.stat_object(s3_bucket, "p1/a.png")
    assert caught.value.code in {"NoSuchKey", "ResponseHeadError"}  # HEAD has no body
    assert caught.value.response.status == 404


def test_wrong_credentials_are_refused(s3: S3Server, s3_bucket: str) -> None:
    _put(s3.client(), s3_bucket, "secret.txt", b"top secret")
    wrong_secret = Minio(
        s3.host, access_key=s3.access_key, secret_key="not-the-secret", secure=s3.secure,
        region=s3.region,
    )  # fmt: skip
    unknown_key = Minio(
        s3.host, access_key="nobody", secret_key="whatever", secure=s3.secure, region=s3.region
    )

    for client, code in [
        (wrong_secret, "SignatureDoesNotMatch"),
        (unknown_key, "InvalidAccessKeyId"),
    ]:
        with pytest.raises(S3Error) as caught:
            client.get_object(s3_bucket, "secret.txt")
        assert caught.value.code == code
        assert caught.value.response.status == 403
        with pytest.raises(S3Error):
            _put(client, s3_bucket, "intruder.txt", b"x")
    assert [o.object_name for o in s3.client().list_objects(s3_bucket)] == ["secret.txt"]
