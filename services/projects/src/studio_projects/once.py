"""Creations made once per `Idempotency-Key` (projects and templates alike).

The rules and words of the header are `studio_runtime.idempotency`'s, the generation service's
too. Here the key is kept on the record it made, not in a collection of its own:

    {..., idempotency_key: "<owner>\\n<key>", idempotency_fingerprint, announcing?}

- **One insert decides.** A unique index on `idempotency_key` (sparse: records made without a
  key are not in it) refuses a second record with the same owner and key, so of any number of
  concurrent requests with one key exactly one inserts; the others read the record it made, by
  that index. The owner is part of the value, so two users' keys never meet. A single-field
  sparse index is what every server we run on enforces alike: nx-27017 ignores
  `partialFilterExpression`, and a sparse index over (owner, key) would hold every key-less
  record as (owner, null) on MongoDB.
- **Nothing half-written.** The key lives and dies with its record: a creation whose event was
  refused removes the record, and its key with it; a record on its way out (a project being
  deleted) gives its key up to the next request that brings it. A repeat never finds a key
  without a record.
- **Answered once announced.** A keyed record is inserted `announcing` and loses the mark once
  its `*.created` event is out. A repeat that finds the mark waits (up to `WAIT_S`, then 409)
  rather than answer 201 with a record that is removed a moment later because its event was
  refused. A mark older than `ORPHAN_S` was left by a request that died or lost the database
  after publishing: the record is answered as it is.
- **A day at least.** A key is remembered `STUDIO_IDEMPOTENCY_TTL_S` (a day by default) after
  its record was made; a later request with it takes it from the old record and makes a new one.
"""

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from pydantic import BaseModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError
from studio_runtime.clock import now_ms
from studio_runtime.idempotency import fingerprint, key_busy, key_reused

Doc = dict[str, Any]
T = TypeVar("T")

KEY = "idempotency_key"
FINGERPRINT = "idempotency_fingerprint"
ANNOUNCING = "announcing"
WAIT_S = 10.0
"""How long a repeat waits for the first request with its key to be announced, then 409."""
ORPHAN_S = 60.0
"""A record still `announcing` after this long was left by a request that could not finish."""
_POLL_S = 0.05

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Claim:
    """A creation's key: whose, which, and what the request asked for."""

    owner: str
    key: str
    fingerprint: str

    @property
    def indexed(self) -> str:
        # A key is printable, so it holds no line break: the value names one (owner, key).
        return f"{self.owner}\n{self.key}"

    def fields(self) -> Doc:
        return {KEY: self.indexed, FINGERPRINT: self.fingerprint, ANNOUNCING: True}


class KeyHeld(Exception):
    """The key belongs to a record already (or did a moment ago)."""


class KeyedRecords:
    """The keys of one collection's records."""

    def __init__(self, collection: AsyncCollection[Doc], projection: Mapping[str, int]) -> None:
        self._collection = collection
        self._projection = {
            **projection,
            FINGERPRINT: 1,
            ANNOUNCING: 1,
            "created_ms": 1,
            "status": 1,
        }
        self._indexed = False
        self._indexing = asyncio.Lock()

    async def ensure_index(self) -> None:
        """The unique index the keys rely on. The service builds it at start (maintenance);
        a keyed insert makes sure of it first, once per process, so that no insert can slip
        in before the index exists (one command, answered at once when it is there)."""
        if self._indexed:
            return
        async with self._indexing:
            if not self._indexed:
                await self._collection.create_index(KEY, unique=True, sparse=True)
                self._indexed = True

    async def insert(self, doc: Doc, claim: Claim | None) -> None:
        """Insert `doc`, with `claim`'s key if any; KeyHeld if the key is taken."""
        if claim is None:
            await self._collection.insert_one(doc)
            return
        await self.ensure_index()
        try:
            await self._collection.insert_one({**doc, **claim.fields()})
        except DuplicateKeyError as exc:
            raise KeyHeld from exc

    async def holder(self, claim: Claim) -> Doc | None:
        """The record that holds the key (public fields and the key's bookkeeping), or None."""
        return await self._collection.find_one({KEY: claim.indexed}, self._projection)

    async def announced(self, record_id: str) -> None:
        """The record's event is out: a repeat may answer it now. A failure here is logged,
        not the caller's: the record is made and announced; a repeat waits for `ORPHAN_S`."""
        try:
            await self._collection.update_one({"_id": record_id}, {"$unset": {ANNOUNCING: ""}})
        except Exception as exc:
            log.warning("idempotency.mark_left", record_id=record_id, error=str(exc))

    async def release(self, record_id: str, claim: Claim) -> None:
        """Take the key off the record (expired, or the record is being deleted)."""
        await self._collection.update_one(
            {"_id": record_id, KEY: claim.indexed},
            {"$unset": {KEY: "", FINGERPRINT: "", ANNOUNCING: ""}},
        )


async def create_once(
    owner: str,
    idempotency_key: str | None,
    body: BaseModel,
    create: Callable[[Claim | None], Awaitable[T]],
    keys: KeyedRecords,
    to_model: Callable[[Doc], T],
    *,
    ttl_s: float,
) -> T:
    """`create(claim)` (which inserts with the claim and raises KeyHeld when its key is taken),
    or, with an Idempotency-Key, the record the key made already if it did; `key_reused()` if
    that was made by another request (another body)."""
    if idempotency_key is None:
        return await create(None)
    claim = Claim(owner, idempotency_key, fingerprint(body.model_dump_json()))
    return await _made_once(claim, create, keys, to_model, ttl_s=ttl_s)


async def _made_once(
    claim: Claim,
    create: Callable[[Claim | None], Awaitable[T]],
    keys: KeyedRecords,
    to_model: Callable[[Doc], T],
    *,
    ttl_s: float,
) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    free = True
    while loop.time() < deadline:
        if free:
            try:
                return await create(claim)
            except KeyHeld:
                pass
        held = await keys.holder(claim)
        if held is None:  # freed meanwhile (its creation failed): try again
            free = True
            continue
        age_ms = now_ms() - held["created_ms"]
        if age_ms > ttl_s * 1000 or held.get("status", "active") != "active":
            await keys.release(held["_id"], claim)
            free = True
            continue
        if held.get(FINGERPRINT) != claim.fingerprint:
            raise key_reused()
        if not held.get(ANNOUNCING) or age_ms > ORPHAN_S * 1000:
            return to_model(held)
        free = False
        await asyncio.sleep(_POLL_S)
    raise key_busy()
