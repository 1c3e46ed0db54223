"""MongoDB storage: the `projects` collection and the `applied_events` ledger.

A project document:

    {_id, owner, name, description, status: "active" | "deleting",
     created_ms, updated_ms, rev?, generation_count, generations_removed, assets_added, assets_removed,
     activity_ms?, cover_asset_id?, cover_ms?,              # stats, kept from events
     applied_events: [event id, ...], removed_assets: [asset id, ...],   # the last 500 of each
     delete_event_id?, deleting_ms?,                         # only while a deletion is pending
     idempotency_key?, idempotency_fingerprint?, announcing?}  # made with a key (once.py)

Timestamps are integer milliseconds since the epoch (`studio_runtime.clock`), not BSON dates:
nx-27017 (the dev/test server) turns a datetime written by an update operator (`$set`, `$max`)
into a string that no longer compares with dates. Integers behave the same on every server.

Fields that have no value are left out rather than set to null, since nx-27017 cannot tell the
two apart. Every query from the API filters by owner; so do the stats updates (by the event's
user), so a wrong or stray event cannot touch another user's project.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import structlog
from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from studio_contracts.dtos import CursorPage
from studio_contracts.projects import Project
from studio_runtime.clock import from_ms, now_ms
from studio_runtime.grouped import Grouped, GroupedInserts
from studio_runtime.ids import new_id
from studio_runtime.newest_first import SORT_ID, ensure_newest_first

from studio_projects.once import KEY, Claim, KeyedRecords
from studio_projects.paging import containing, newest_first

Doc = dict[str, Any]
PROJECTS = "projects"
APPLIED_EVENTS = "applied_events"
ACTIVE = "active"
DELETING = "deleting"
RECENT_LIMIT = 500
"""How many applied event ids (and deleted asset ids) a project document remembers itself."""

_PUBLIC = {
    "name": 1,
    "description": 1,
    "created_ms": 1,
    "updated_ms": 1,
    "generation_count": 1,
    "generations_removed": 1,
    "assets_added": 1,
    "assets_removed": 1,
    "activity_ms": 1,
    "cover_asset_id": 1,
}
"""Projection for reads: leaves out the owner and the (large) bookkeeping lists."""

log = structlog.get_logger(__name__)


def to_project(doc: Mapping[str, Any]) -> Project:
    activity = doc.get("activity_ms")
    return Project(
        id=doc["_id"],
        name=doc["name"],
        description=doc["description"],
        created_at=from_ms(doc["created_ms"]),
        updated_at=from_ms(doc["updated_ms"]),
        # Pairs of counters that only grow, so a deletion handled before its creation still nets
        # out; the floor hides a deletion whose creation was never counted.
        generation_count=max(0, doc.get("generation_count", 0) - doc.get("generations_removed", 0)),
        asset_count=max(0, doc.get("assets_added", 0) - doc.get("assets_removed", 0)),
        last_activity_at=None if activity is None else from_ms(activity),
        cover_asset_id=doc.get("cover_asset_id"),
    )


async def ensure_indexes(db: AsyncDatabase[Doc]) -> None:
    projects = db[PROJECTS]
    await ensure_newest_first(projects, ("owner",))
    await projects.create_index([("status", ASCENDING), ("deleting_ms", ASCENDING)])
    await projects.create_index(KEY, unique=True, sparse=True)
    await db[APPLIED_EVENTS].create_index("applied_ms")


@dataclass(frozen=True)
class Deletion:
    """A deletion that was started and must be finished: publish the event, remove the record."""

    project_id: str
    owner: str
    event_id: str


class ProjectStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._projects: AsyncCollection[Doc] = db[PROJECTS]
        self.keys = KeyedRecords(self._projects, _PUBLIC)

    async def insert(
        self, owner: str, name: str, description: str, claim: Claim | None = None
    ) -> Project:
        """The new project; KeyHeld if `claim`'s key is another record's."""
        now = now_ms()
        doc: Doc = {
            "_id": (project_id := new_id()),
            SORT_ID: project_id,
            "owner": owner,
            "name": name,
            "description": description,
            "status": ACTIVE,
            "created_ms": now,
            "updated_ms": now,
            "generation_count": 0,
            "generations_removed": 0,
            "assets_added": 0,
            "assets_removed": 0,
        }
        await self.keys.insert(doc, claim)
        return to_project(doc)

    async def get(self, owner: str, project_id: str) -> Project | None:
        doc = await self._projects.find_one(_visible(owner, project_id), _PUBLIC)
        return None if doc is None else to_project(doc)

    async def list_page(
        self, owner: str, *, search: str | None, cursor: str | None, limit: int
    ) -> CursorPage[Project]:
        """A page of the owner's projects, newest first, optionally those whose name or
        description contains `search`."""
        query: Doc = {"owner": owner, "status": ACTIVE}
        if search:
            query |= containing(search, ["name", "description"])
        return await newest_first(
            self._projects,
            query,
            projection=_PUBLIC,
            to_model=to_project,
            cursor=cursor,
            limit=limit,
        )

    async def update(
        self, owner: str, project_id: str, changes: Mapping[str, str]
    ) -> "ProjectChange | None":
        written: Doc = {**changes, "updated_ms": now_ms(), "rev": uuid4().hex}
        before = await self._projects.find_one_and_update(
            _visible(owner, project_id),
            {"$set": written},
            projection=_PUBLIC,
            return_document=ReturnDocument.BEFORE,
        )
        if before is None:
            return None
        previous = {name: before.get(name) for name in written if name != "rev"}
        return ProjectChange(to_project({**before, **written}), previous, written["rev"])

    async def undo(self, owner: str, project_id: str, change: "ProjectChange") -> bool:
        """Put back what `change` replaced, unless the project was written again since."""
        result = await self._projects.update_one(
            {"_id": project_id, "owner": owner, "rev": change.rev}, {"$set": change.previous}
        )
        return result.modified_count == 1

    async def mark_deleting(self, owner: str, project_id: str, event_id: str) -> bool:
        """Hide the project and record the deletion event to publish; False if not visible."""
        result = await self._projects.update_one(
            _visible(owner, project_id),
            {"$set": {"status": DELETING, "delete_event_id": event_id, "deleting_ms": now_ms()}},
        )
        return result.modified_count == 1

    async def unmark_deleting(self, deletion: Deletion) -> bool:
        result = await self._projects.update_one(
            {"_id": deletion.project_id, "status": DELETING, "delete_event_id": deletion.event_id},
            {"$set": {"status": ACTIVE}, "$unset": {"delete_event_id": "", "deleting_ms": ""}},
        )
        return result.modified_count == 1

    async def remove(self, project_id: str) -> None:
        # By id alone: once the event is out, the record must go even if a concurrent request
        # has just un-hidden it, or other services would have cleaned up a live project.
        await self._projects.delete_one({"_id": project_id})

    async def unfinished_deletions(self, started_before_ms: int, limit: int) -> list[Deletion]:
        cursor = self._projects.find(
            {"status": DELETING, "deleting_ms": {"$lt": started_before_ms}},
            {"owner": 1, "delete_event_id": 1},
        ).limit(limit)
        return [
            Deletion(project_id=doc["_id"], owner=doc["owner"], event_id=doc["delete_event_id"])
            async for doc in cursor
        ]


@dataclass(frozen=True)
class ProjectChange:
    """A written update: what the project held before, to undo it if it cannot be announced."""

    project: Project
    previous: Doc
    rev: str


@dataclass(frozen=True)
class StatsChange:
    """What one event does to one project's stats."""

    project_id: str
    owner: str
    event_id: str
    increments: Mapping[str, int]
    activity_ms: int | None = None
    removed_asset_id: str | None = None


@dataclass(frozen=True)
class _Cover:
    """The asset an update also makes the project's cover."""

    asset_id: str
    at_ms: int


@dataclass(frozen=True)
class _Counting:
    change: StatsChange
    cover: _Cover | None = None

    def group_key(self, index: int) -> tuple[object, ...]:
        """Changes with the same key can be counted in one update; a removal goes alone."""
        if self.change.removed_asset_id is not None:
            return ("alone", index)
        return (self.change.project_id, self.change.owner, self.cover is not None)


class StatsStore:
    """Stats updates that are safe to repeat; see `StatsKeeper` for how they combine."""

    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self._projects: AsyncCollection[Doc] = db[PROJECTS]
        self._applied: AsyncCollection[Doc] = db[APPLIED_EVENTS]
        # The ledger is written once per event and read only for redeliveries: in a burst,
        # the records of events handled at the same time go in one command.
        self._ledger = GroupedInserts(self._applied)
        # Every event counts once in its project: in a burst, the events of one project
        # handled at the same time are counted in one update.
        self._counting = Grouped(self._count_all, name="grouped-stats")

    async def was_applied(self, event_id: str) -> bool:
        return await self._applied.find_one({"_id": event_id}, {"_id": 1}) is not None

    async def remember_applied(self, event_id: str, project_id: str) -> None:
        """Returns once the record is stored (or was already: a concurrent delivery of the
        same event may have recorded it first)."""
        await self._ledger.insert(
            {"_id": event_id, "project_id": project_id, "applied_ms": now_ms()}
        )

    async def forget_applied_before(self, cutoff_ms: int) -> int:
        result = await self._applied.delete_many({"applied_ms": {"$lt": cutoff_ms}})
        return result.deleted_count

    async def apply(self, change: StatsChange) -> bool:
        """Apply the change unless the project already lists the event as applied; the counters
        and the event id change in one document update, so there is no window between them.
        False: already applied, or no such project of that owner."""
        return await self._counting(_Counting(change))

    async def apply_as_cover(self, change: StatsChange, asset_id: str, at_ms: int) -> bool:
        """`apply` and `offer_cover` in one update, for the usual case where both apply (the
        newest image of the project, not deleted, its event not applied yet). False: nothing
        changed, and the caller takes the two steps one by one to learn which applies."""
        return await self._counting(_Counting(change, _Cover(asset_id, at_ms)))

    async def _count_all(self, waiting: list[_Counting]) -> list[bool]:
        """Each project's changes in one update when none of them was applied before (the
        usual case); otherwise, or for a change that must go alone, one by one."""
        together: dict[tuple[object, ...], list[int]] = {}
        for index, counting in enumerate(waiting):
            together.setdefault(counting.group_key(index), []).append(index)
        answers = [False] * len(waiting)
        for indexes in together.values():
            group = [waiting[index] for index in indexes]
            if len(group) > 1 and await self._count(group):
                for index in indexes:
                    answers[index] = True
                continue
            for index, counting in zip(indexes, group, strict=True):
                answers[index] = await self._count([counting])
        return answers

    async def _count(self, group: list[_Counting]) -> bool:
        """All of `group` (one project's changes, all with a cover or none) in one update, or
        nothing when any of its events was applied already."""
        first = group[0].change
        event_ids = [counting.change.event_id for counting in group]
        if len(set(event_ids)) < len(event_ids):
            return False  # one event twice (two deliveries at once): counted one by one
        # $nin, not $ne: nx-27017 gives $ne no array semantics (and no match on a missing field).
        applied_none = {"applied_events": {"$nin": event_ids}}
        update = _counted([counting.change for counting in group])
        covers = [counting.cover for counting in group if counting.cover is not None]
        if covers:
            newest = max(covers, key=lambda cover: cover.at_ms)
            query = _cover_filter(
                first.owner, first.project_id, newest.asset_id, newest.at_ms, also=applied_none
            )
            update |= _as_cover(newest.asset_id, newest.at_ms)
        else:
            query = {"_id": first.project_id, "owner": first.owner, **applied_none}
        result = await self._projects.update_one(query, update)
        return result.modified_count == 1

    async def offer_cover(self, owner: str, project_id: str, asset_id: str, at_ms: int) -> bool:
        """Make the asset the cover unless a newer one is, or the asset was deleted already.
        True: it is the cover now."""
        result = await self._projects.update_one(
            _cover_filter(owner, project_id, asset_id, at_ms), _as_cover(asset_id, at_ms)
        )
        # Matched, not modified: offered again (a redelivery), it is the cover all the same.
        return result.matched_count == 1

    async def clear_cover(self, owner: str, project_id: str, asset_id: str) -> bool:
        """Clear the cover if it is this asset. True: it was, and the project is active (a
        project being deleted needs no other cover)."""
        before = await self._projects.find_one_and_update(
            {"_id": project_id, "owner": owner, "cover_asset_id": asset_id},
            {"$unset": {"cover_asset_id": "", "cover_ms": ""}},
            projection={"status": 1},
        )
        return before is not None and before.get("status") == ACTIVE

    async def lacks_cover(self, owner: str, project_id: str) -> bool:
        """Whether the project is active and has no cover."""
        found = await self._projects.find_one(
            {**_visible(owner, project_id), "cover_asset_id": None}, {"_id": 1}
        )
        return found is not None


def _visible(owner: str, project_id: str) -> Doc:
    return {"_id": project_id, "owner": owner, "status": ACTIVE}


def _counted(changes: Sequence[StatsChange]) -> Doc:
    """The update that counts `changes` (of one project) and lists their events as applied."""
    increments: Counter[str] = Counter()
    for change in changes:
        increments.update(change.increments)
    update: Doc = {
        "$inc": dict(increments),
        "$push": {"applied_events": _recent(*(change.event_id for change in changes))},
    }
    removed = [change.removed_asset_id for change in changes if change.removed_asset_id]
    if removed:
        update["$push"]["removed_assets"] = _recent(*removed)
    activity = [change.activity_ms for change in changes if change.activity_ms is not None]
    if activity:
        update["$max"] = {"activity_ms": max(activity)}
    return update


def _cover_filter(
    owner: str, project_id: str, asset_id: str, at_ms: int, *, also: Doc | None = None
) -> Doc:
    """The project, if the asset may become its cover: not deleted, not older than the cover
    (and matching `also`)."""
    # `$and` around the `$or`: the embedded server applies an `{_id, $or}` filter to any record
    # matching the `$or` (here: another project's), ignoring the `_id`.
    return {
        "$and": [
            {
                "_id": project_id,
                "owner": owner,
                "removed_assets": {"$nin": [asset_id]},
                **(also or {}),
            },
            {"$or": [{"cover_ms": None}, {"cover_ms": {"$lte": at_ms}}]},
        ]
    }


def _as_cover(asset_id: str, at_ms: int) -> Doc:
    return {"$set": {"cover_asset_id": asset_id, "cover_ms": at_ms}}


def _recent(*values: str) -> Doc:
    return {"$each": list(values), "$slice": -RECENT_LIMIT}
