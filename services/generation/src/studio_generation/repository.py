"""Generation records in MongoDB; documents become `GenerationRecord`s at this boundary.

Every state change is conditional on the expected status, so two workers (or a worker and a
cancel) can never both win, and a terminal state is never left: one `find_one_and_update`, or,
for the claims and completions a worker makes at the same time, one update of them all marked
with a batch token and one read of the records that carry it. Times that updates change are
integer milliseconds (`studio_runtime.clock`): the embedded MongoDB-wire server returns
datetimes written by `$set` as strings.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pymongo import DESCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError
from studio_contracts.dtos import ErrorInfo
from studio_contracts.enums import GenerationStatus
from studio_contracts.events import OutputFile
from studio_contracts.generations import GenerationProgressInfo
from studio_runtime.clock import now_ms
from studio_runtime.grouped import DUPLICATE_KEY, Grouped, GroupedUpdates
from studio_runtime.ids import new_id
from studio_runtime.newest_first import SORT_ID, ensure_newest_first
from studio_runtime.pagination import cursor_filter

from studio_generation.records import GenerationRecord, NewGeneration

Doc = dict[str, Any]
"""A raw document: only inside this module."""
PENDING, PROCESSING = GenerationStatus.PENDING.value, GenerationStatus.PROCESSING.value
ACTIVE = [PENDING, PROCESSING]
ACTIVE_COUNT_PREFIX = "active-count:"
"""`_id` prefix of the per-user active counters, kept beside the generations (see
`GenerationRepository.insert`). No generation id holds a colon, and every query for
generations names an owner, a status or a generation id, none of which a counter has."""


@dataclass(frozen=True)
class KeyHolder:
    """The request an Idempotency-Key belongs to."""

    generation_id: str
    created_ms: int
    fingerprint: str | None
    """What the first request asked for (None: a key stored before fingerprints were kept)."""


class KeyClaim(Enum):
    RESERVED = "reserved"
    """The key is now the caller's."""
    VANISHED = "vanished"
    """Held by another request a moment ago, freed since: try again."""


class Lease(Enum):
    """What renewing a job's lease found."""

    HELD = "held"
    CANCEL_REQUESTED = "cancel_requested"
    LOST = "lost"
    """No longer processing (finished, taken over, deleted): not the worker's any more."""


@dataclass(frozen=True)
class Holder:
    """Who runs a job: the worker's lasting name (`worker_name`, kept across its restarts and
    held by one process at a time; empty when not set) and this process's life, new at each
    start. A job held under this name by another life was its previous life's, which died."""

    name: str
    life: str


@dataclass(frozen=True)
class _Reserve:
    owner: str
    limit: int

    def counter_change(self, count: int) -> tuple[Doc, Doc]:
        """(filter, update) taking `count` slots: the filter misses the counter when they do
        not fit, and the upsert then fails on its `_id` (a duplicate key)."""
        query: Doc = {"_id": ACTIVE_COUNT_PREFIX + self.owner}
        if self.limit:
            query["count"] = {"$lte": self.limit - count}
        return query, {"$inc": {"count": count}}


@dataclass(frozen=True)
class _Accept:
    document: Doc
    reserve: _Reserve


class GenerationRepository:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._generations: AsyncCollection[Doc] = db["generations"]
        self._keys: AsyncCollection[Doc] = db["idempotency_keys"]
        self._legacy_counts: AsyncCollection[Doc] = db["active_counts"]
        # Requests accepted at the same time are stored and counted against their owners'
        # limits in one command.
        self._accepts = Grouped(self._accept_all, name="grouped-accepts")
        self._reserves = Grouped(self._reserve_all, name="grouped-reserves")
        # Every finished generation gives its slot back: a burst's go out in one command.
        self._releases = GroupedUpdates(self._generations)
        # A worker claims and completes many jobs at once: each burst's in two commands.
        self._transitions = Grouped(self._change_each, name="grouped-transitions")

    async def ensure_indexes(self) -> None:
        await ensure_newest_first(self._generations, ("owner",), ("owner", "project_id"))
        await self._generations.create_index([("status", 1), ("published", 1), ("created_ms", 1)])
        # Equality on both, one status at a time: the embedded server scans for `$in`.
        await self._generations.create_index([("owner", 1), ("status", 1)])
        await self._move_legacy_counters()

    async def _move_legacy_counters(self) -> None:
        """Counters kept in `active_counts` (before 2026-12) move beside the generations.
        `$max`: run by several processes starting at once, the move counts each slot once."""
        async for legacy in self._legacy_counts.find({}):
            await self._generations.update_one(
                {"_id": ACTIVE_COUNT_PREFIX + legacy["_id"]},
                {"$max": {"count": legacy["count"]}},
                upsert=True,
            )
            await self._legacy_counts.delete_one({"_id": legacy["_id"]})

    async def claim_idempotency_key(
        self, owner: str, key: str, generation_id: str, fingerprint: str
    ) -> KeyClaim | KeyHolder:
        """Reserve `key` for `generation_id` (a request with `fingerprint`), or say who holds
        it."""
        try:
            await self._keys.insert_one(
                {
                    "_id": f"{owner}:{key}",
                    "generation_id": generation_id,
                    "created_ms": now_ms(),
                    "fingerprint": fingerprint,
                }
            )
        except DuplicateKeyError:
            held = await self._keys.find_one({"_id": f"{owner}:{key}"})
            if held is None:
                return KeyClaim.VANISHED
            return KeyHolder(
                generation_id=held["generation_id"],
                created_ms=held["created_ms"],
                fingerprint=held.get("fingerprint"),
            )
        return KeyClaim.RESERVED

    async def release_idempotency_key(self, owner: str, key: str, generation_id: str) -> None:
        """Free the key after the request that held it failed, so a retry can use it."""
        await self._keys.delete_one({"_id": f"{owner}:{key}", "generation_id": generation_id})

    async def drop_idempotency_key(self, owner: str, key: str) -> None:
        """Forget an expired key."""
        await self._keys.delete_one({"_id": f"{owner}:{key}"})

    async def insert(
        self, new: NewGeneration, *, active_limit: int
    ) -> tuple[GenerationRecord, bool]:
        """Store a new generation and take one of its owner's `active_limit` active slots (0:
        count, without a cap), both in one command; the bool says whether a slot was taken. A
        record that got none is stored all the same: the caller counts again or withdraws it.
        """
        doc = new.document()
        counted = await self._accepts(_Accept(doc, _Reserve(new.owner, active_limit)))
        return _record(doc), counted

    async def _accept_all(self, accepts: list[_Accept]) -> list[bool]:
        """The burst's records, then each owner's slots for all of its records at once, in one
        ordered `update` command: the records are written before their slots, so a recount
        never finds a slot taken for a record not yet stored. An owner whose slots do not all
        fit (the counter's statement fails, and those after it are not run) takes them one by
        one, as many as fit."""
        wanted = Counter(accept.reserve for accept in accepts)
        batched = [r for r, count in wanted.items() if not (r.limit and count > r.limit)]
        statements = [
            UpdateOne(
                {"_id": accept.document["_id"]},
                {"$setOnInsert": {k: v for k, v in accept.document.items() if k != "_id"}},
                upsert=True,
            )
            for accept in accepts
        ]
        statements += [UpdateOne(*r.counter_change(wanted[r]), upsert=True) for r in batched]
        stopped_at = len(statements)
        try:
            await self._generations.bulk_write(statements, ordered=True)
        except BulkWriteError as exc:
            error = (exc.details.get("writeErrors") or [{}])[0]
            stopped_at = error.get("index", 0)
            if stopped_at < len(accepts) or error.get("code") != DUPLICATE_KEY:
                raise  # a record was not stored: no caller of the burst is answered 202
        taken = {
            r: wanted[r] if len(accepts) + i < stopped_at else 0 for i, r in enumerate(batched)
        }
        for reserve, count in wanted.items():
            if not taken.get(reserve):
                taken[reserve] = await self._take_one_by_one(reserve, count)
        return _shared([accept.reserve for accept in accepts], taken)

    async def mark_published(self, generation_ids: list[str]) -> None:
        """Flag records the relay has published, so that it publishes each only once."""
        if generation_ids:
            await self._generations.update_many(
                {"_id": {"$in": generation_ids}}, {"$set": {"published": True}}
            )

    async def unpublished(self, older_than_ms: int, limit: int = 200) -> list[GenerationRecord]:
        found = self._generations.find(
            {"status": PENDING, "published": False, "created_ms": {"$lt": older_than_ms}}
        ).limit(limit)
        return [_record(doc) async for doc in found]

    async def abandoned(
        self, lease_ended_before_ms: int, limit: int = 200
    ) -> list[GenerationRecord]:
        """Processing records whose lease ran out long ago: their worker died and NATS has
        stopped redelivering the job (its deliveries were used up)."""
        found = self._generations.find(
            {"status": PROCESSING, "lease_until_ms": {"$lt": lease_ended_before_ms}}
        ).limit(limit)
        return [_record(doc) async for doc in found]

    async def get(self, owner: str, generation_id: str) -> GenerationRecord | None:
        return _maybe(await self._generations.find_one({"_id": generation_id, "owner": owner}))

    # The active-generation counter: one small document per user beside the generations,
    # `{_id: "active-count:<owner>", count}`: taken with a conditional increment when a
    # generation is accepted (in the command that stores it) and given back when it ends, so
    # checking the limit costs the same at any history size and a burst cannot overrun it.

    async def reserve_active(self, owner: str, limit: int) -> bool:
        """Take one of the owner's `limit` active slots (0: count, without a cap)."""
        return await self._reserves(_Reserve(owner, limit))

    async def _reserve_all(self, reserves: list[_Reserve]) -> list[bool]:
        """Each owner's slots of the burst in one conditional increment when they all fit (the
        usual case); one by one when they do not, so that as many as fit are taken."""
        taken: dict[_Reserve, int] = {}
        for reserve, wanted in Counter(reserves).items():
            if wanted > 1 and await self._take_slots(reserve, wanted):
                taken[reserve] = wanted
            else:
                taken[reserve] = await self._take_one_by_one(reserve, wanted)
        return _shared(reserves, taken)

    async def _take_one_by_one(self, reserve: _Reserve, wanted: int) -> int:
        taken = 0
        for _ in range(wanted):
            taken += await self._take_slots(reserve, 1)
        return taken

    async def _take_slots(self, reserve: _Reserve, count: int) -> bool:
        if reserve.limit and count > reserve.limit:
            return False
        query, update = reserve.counter_change(count)
        try:
            taken = await self._generations.find_one_and_update(
                query, update, upsert=True, return_document=ReturnDocument.AFTER
            )
        except DuplicateKeyError:
            return False  # MongoDB: the filter missed the counter, which is too high
        return taken is not None  # the embedded server answers None in that case instead

    async def release_active(self, owner: str) -> None:
        await self._releases.update(
            {"_id": ACTIVE_COUNT_PREFIX + owner, "count": {"$gt": 0}}, {"$inc": {"count": -1}}
        )

    async def recount_active(self, owner: str, up_to: int, *, uncounted: int = 0) -> None:
        """Correct a counter that says more than the records do (a process died between a
        generation's end and giving its slot back). Records are stored before their slot is
        taken, so the records never say too few; `uncounted` of them are known to hold no
        slot (the caller's own, not yet counted)."""
        active = -uncounted
        for status in ACTIVE:
            found = self._generations.find({"owner": owner, "status": status}, {"_id": 1})
            active += len(await found.limit(up_to).to_list())
        counter = ACTIVE_COUNT_PREFIX + owner
        seen = await self._generations.find_one({"_id": counter})
        if seen is not None and seen["count"] > active:
            # Conditional: a slot taken or given back meanwhile leaves the counter as it is.
            await self._generations.update_one(
                {"_id": counter, "count": seen["count"]}, {"$set": {"count": max(active, 0)}}
            )

    async def get_by_id(self, generation_id: str) -> GenerationRecord | None:
        return _maybe(await self._generations.find_one({"_id": generation_id}))

    async def find_page(
        self,
        owner: str,
        *,
        project_id: str | None,
        status: str | None,
        type: str | None,
        cursor: str | None,
        limit: int,
    ) -> list[GenerationRecord]:
        """Up to `limit` + 1 records, newest first: one more tells whether a next page exists."""
        query: Doc = {"owner": owner, **cursor_filter(cursor)}
        for name, value in (("project_id", project_id), ("status", status), ("type", type)):
            if value is not None:
                query[name] = value
        found = self._generations.find(query).sort(SORT_ID, DESCENDING).limit(limit + 1)
        return [_record(doc) async for doc in found]

    async def claim(
        self, generation_id: str, *, lease_ms: int, holder: Holder | None = None
    ) -> GenerationRecord | None:
        """pending → processing, or take over a processing job whose lease ran out, or (with a
        named `holder`) one its own previous life held when it died.

        Conditional updates one after the other rather than one with `$or`: the embedded server
        applies an `{_id, $or}` filter to whichever record matches the `$or` (another job!), and
        the first form, the common case, is one indexed write on every server (grouped with the
        claims made at the same time)."""
        now = now_ms()
        claimed = _claimed(now, lease_ms, holder)
        fresh = await self._transitions(({"_id": generation_id, "status": PENDING}, claimed))
        if fresh is not None:
            return fresh
        taken = await self._generations.find_one_and_update(
            {"_id": generation_id, "status": PROCESSING, "lease_until_ms": {"$lt": now}},
            claimed,
            return_document=ReturnDocument.AFTER,
        )
        if taken is not None or holder is None or not holder.name:
            return _maybe(taken)
        taken = await self._generations.find_one_and_update(
            {"_id": generation_id, **_held_by_previous_life(holder)},
            claimed,
            return_document=ReturnDocument.AFTER,
        )
        return _maybe(taken)

    async def held_by_previous_life(self, holder: Holder, limit: int = 1000) -> list[str]:
        """The jobs this worker's previous life (same name, another process) was running when
        it died: nobody runs them now, though their leases have not run out."""
        if not holder.name:
            return []
        found = self._generations.find(_held_by_previous_life(holder), {"_id": 1}).limit(limit)
        return [doc["_id"] async for doc in found]

    async def _change_each(self, changes: list[tuple[Doc, Doc]]) -> list[GenerationRecord | None]:
        """Conditional updates (filter, update) of one record each, each changed record back
        (None: the filter matched nothing). Alone: one `find_one_and_update`. Together: one
        ordered update whose statements also write a token unique to the batch, then one read
        of the records carrying it: exactly the ones this batch changed, not ones another
        worker changed meanwhile; of two changes of one record, the first."""
        if len(changes) == 1:
            [(query, update)] = changes
            changed = await self._generations.find_one_and_update(
                query, update, return_document=ReturnDocument.AFTER
            )
            return [_maybe(changed)]
        batch = new_id()
        await self._generations.bulk_write(
            [
                UpdateOne(query, {**update, "$set": {**update["$set"], "change_batch": batch}})
                for query, update in changes
            ],
            ordered=True,
        )
        ids = [query["_id"] for query, _ in changes]
        found = {
            doc["_id"]: _record(doc)
            async for doc in self._generations.find(
                {"_id": {"$in": list(set(ids))}, "change_batch": batch}
            )
        }
        return [found.pop(generation_id, None) for generation_id in ids]

    async def renew_lease(self, generation_id: str, *, lease_ms: int) -> Lease:
        """Extend the lease, and say whether its owner has asked to cancel meanwhile."""
        renewed = await self._generations.find_one_and_update(
            {"_id": generation_id, "status": PROCESSING},
            {"$set": {"lease_until_ms": now_ms() + lease_ms}},
            projection={"cancel_requested": True},
            return_document=ReturnDocument.AFTER,
        )
        if renewed is None:
            return Lease.LOST
        return Lease.CANCEL_REQUESTED if renewed.get("cancel_requested") else Lease.HELD

    async def set_provider_request(self, generation_id: str, handle: str) -> None:
        await self._generations.update_one(
            {"_id": generation_id, "status": PROCESSING}, {"$set": {"provider_request": handle}}
        )

    async def set_progress(self, generation_id: str, progress: GenerationProgressInfo) -> None:
        await self._generations.update_one(
            {"_id": generation_id, "status": PROCESSING},
            {"$set": {"progress": progress.model_dump(mode="json")}},
        )

    async def complete(
        self, generation_id: str, outputs: Sequence[OutputFile]
    ) -> GenerationRecord | None:
        """processing → completed. Unlike the other ends, the owner's active slot is given back
        by the caller (`release_active`), so that it can announce the completion first."""
        stored = [output.model_dump(mode="json") for output in outputs]
        return await self._transitions(
            (
                {"_id": generation_id, "status": PROCESSING},
                _finished(GenerationStatus.COMPLETED, {"outputs": stored}),
            )
        )

    async def fail(self, generation_id: str, error: ErrorInfo) -> GenerationRecord | None:
        return await self._finish(
            generation_id, ACTIVE, GenerationStatus.FAILED, {"error": error.model_dump()}
        )

    async def mark_cancelled(self, generation_id: str) -> GenerationRecord | None:
        return await self._finish(generation_id, ACTIVE, GenerationStatus.CANCELLED, {})

    async def release(
        self,
        generation_id: str,
        error: ErrorInfo,
        progress: GenerationProgressInfo,
        *,
        forget_request: bool = False,
    ) -> GenerationRecord | None:
        """processing → pending after a transient failure; the next delivery tries again,
        resuming the provider request unless `forget_request` (it died at the provider).
        `progress` says, in the same write, that it waits to be tried again."""
        fields: Doc = {
            "status": PENDING,
            "lease_until_ms": 0,
            "last_error": error.model_dump(),
            "progress": progress.model_dump(mode="json"),
        }
        if forget_request:
            fields["provider_request"] = None
        released = await self._generations.find_one_and_update(
            {"_id": generation_id, "status": PROCESSING},
            {"$set": fields},
            return_document=ReturnDocument.AFTER,
        )
        return _maybe(released)

    async def _finish(
        self,
        generation_id: str,
        expected: list[str],
        status: GenerationStatus,
        fields: Mapping[str, Any],
    ) -> GenerationRecord | None:
        finished = await self._generations.find_one_and_update(
            {"_id": generation_id, "status": {"$in": expected}},
            _finished(status, fields),
            return_document=ReturnDocument.AFTER,
        )
        if finished is None:
            return None
        await self.release_active(finished["owner"])
        return _record(finished)

    async def cancel_pending(self, owner: str, generation_id: str) -> GenerationRecord | None:
        cancelled = await self._generations.find_one_and_update(
            {"_id": generation_id, "owner": owner, "status": PENDING},
            {"$set": {"status": GenerationStatus.CANCELLED.value, "completed_ms": now_ms()}},
            return_document=ReturnDocument.AFTER,
        )
        if cancelled is None:
            return None
        await self.release_active(owner)
        return _record(cancelled)

    async def request_cancel(self, owner: str, generation_id: str) -> GenerationRecord | None:
        requested = await self._generations.find_one_and_update(
            {"_id": generation_id, "owner": owner, "status": PROCESSING},
            {"$set": {"cancel_requested": True}},
            return_document=ReturnDocument.AFTER,
        )
        return _maybe(requested)

    async def delete(self, owner: str, generation_id: str) -> GenerationRecord | None:
        """Remove a finished generation; None if there is none of the owner's, or it is active."""
        deleted = await self._generations.find_one_and_delete(
            {"_id": generation_id, "owner": owner, "status": {"$nin": ACTIVE}}
        )
        return _maybe(deleted)

    async def remove_output(self, owner: str, generation_id: str, asset_id: str) -> None:
        """The output registered as `asset_id` is gone: the generation no longer lists it."""
        await self._generations.update_one(
            {"_id": generation_id, "owner": owner}, {"$pull": {"outputs": {"asset_id": asset_id}}}
        )

    async def of_project(
        self, owner: str, project_id: str, limit: int = 500
    ) -> list[GenerationRecord]:
        found = self._generations.find({"owner": owner, "project_id": project_id}).limit(limit)
        return [_record(doc) async for doc in found]

    async def delete_by_id(self, generation_id: str) -> None:
        await self._generations.delete_one({"_id": generation_id})

    async def withdraw(self, generation_id: str) -> None:
        """Remove a record just stored whose request was then refused (over the limit)."""
        await self._generations.delete_one({"_id": generation_id, "status": PENDING})


def _claimed(now: int, lease_ms: int, holder: Holder | None = None) -> Doc:
    held = {"lease_name": holder.name, "lease_life": holder.life} if holder else {}
    return {
        "$set": {
            "status": PROCESSING,
            "lease_until_ms": now + lease_ms,
            "started_ms": now,
            **held,
        },
        "$inc": {"attempts": 1},
    }


def _held_by_previous_life(holder: Holder) -> Doc:
    return {"status": PROCESSING, "lease_name": holder.name, "lease_life": {"$ne": holder.life}}


def _finished(status: GenerationStatus, fields: Mapping[str, Any]) -> Doc:
    return {
        "$set": {"status": status.value, "completed_ms": now_ms(), "lease_until_ms": 0, **fields}
    }


def _shared(reserves: list[_Reserve], taken: dict[_Reserve, int]) -> list[bool]:
    """Each caller's answer, in order: the first `taken[reserve]` callers of each got a slot."""
    left = dict(taken)
    answers = []
    for reserve in reserves:
        answers.append(left[reserve] > 0)
        left[reserve] -= 1
    return answers


def _record(doc: Doc) -> GenerationRecord:
    return GenerationRecord.model_validate(doc)


def _maybe(doc: Doc | None) -> GenerationRecord | None:
    return None if doc is None else _record(doc)
