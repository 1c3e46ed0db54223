"""Project stats kept from other services' events, each event counted once.

Delivery is at-least-once (a lost ack, a crash, a producer that publishes again), so every
handler must be safe to run twice, or concurrently with itself. Per event:

1. for a redelivered message, the `applied_events` ledger (one record per event id, unique
   `_id`) already has the event: skip. This is the long memory: it holds every event applied in
   the last 8 days, longer than the streams keep messages, so JetStream cannot redeliver anything
   older. A first delivery skips this read (one database round trip less per event): it can only
   be a duplicate if its producer published it again after JetStream's 2-minute duplicate
   window, and step 2 catches that unless 500 other events reached the project in between.
2. one conditional update changes the counters and appends the event id to the project's own
   `applied_events` list, only if the list does not hold it yet. Counter and marker live in
   one document, so MongoDB applies both or neither, and of concurrent duplicates only one
   matches. This closes the window a ledger-only design leaves open (marker written, counter
   not, crash: the redelivery would be skipped and the count lost; or the reverse order: counted
   twice).
3. cover updates, which are idempotent by themselves (run again after a crash between 2 and 4).
   When the cover is deleted, the newest image output left (asked of the assets service) is
   offered as the cover through the same guarded update as a new image output; should the
   assets service not answer, the event is retried, and its redelivery looks again as long as
   the project has no cover. For an image output, 2 and 3 are first tried as one update whose
   filter holds both conditions; it matches in the usual case (the newest image, not deleted,
   not counted yet), which saves a database command per generation, and when it does not, 2 and
   3 run one by one.
4. the ledger records the event.

A crash anywhere means redelivery, which redoes whatever is missing: 2 matches nothing if it
already ran (the list remembers the last 500 events of the project, far more than normally
arrive between a delivery and its redelivery), 3 repeats harmlessly, 4 is written then.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import structlog
from studio_contracts.assets import Asset
from studio_contracts.enums import MediaType
from studio_contracts.events import (
    AssetCreated,
    AssetDeleted,
    Event,
    GenerationDeleted,
    GenerationRequested,
)
from studio_runtime.clock import to_ms
from studio_runtime.events import is_redelivery
from studio_runtime.internal_auth import Identity

from studio_projects.repository import StatsChange, StatsStore

log = structlog.get_logger(__name__)

FollowUp = Callable[[], Awaitable[None]]


COVER_CANDIDATES = 10
"""How many of the newest image outputs left a deleted cover's replacement is chosen from. The
first one that is not deleted meanwhile wins; more than one for the case where the newest is
deleted between the answer and the offer."""


class ImageOutputs(Protocol):
    """Where a project's image outputs are listed (the assets service)."""

    async def newest_image_outputs(
        self, identity: Identity, project_id: str, *, limit: int
    ) -> list[Asset]: ...


class StatsKeeper:
    def __init__(self, store: StatsStore, assets: ImageOutputs) -> None:
        self._store = store
        self._assets = assets

    async def asset_created(self, event: AssetCreated) -> None:
        at_ms = to_ms(event.occurred_at)
        change = _change(event, {"assets_added": 1}, activity_ms=at_ms)

        async def offer_cover() -> None:
            await self._store.offer_cover(event.user_id, event.project_id, event.asset_id, at_ms)

        async def count_as_cover() -> bool:
            return await self._store.apply_as_cover(change, event.asset_id, at_ms)

        if event.kind == "output" and event.media_type is MediaType.IMAGE:
            await self._apply_once(event, change, offer_cover, at_once=count_as_cover)
        else:
            await self._apply_once(event, change)

    async def asset_deleted(self, event: AssetDeleted) -> None:
        # The asset is remembered so a late `asset.created` of it cannot make it the cover.
        change = _change(event, {"assets_removed": 1}, removed_asset_id=event.asset_id)

        async def replace_cover() -> None:
            owner, project_id = event.user_id, event.project_id
            cleared = await self._store.clear_cover(owner, project_id, event.asset_id)
            # A redelivery may follow a crash, or an assets service away, between clearing the
            # cover and finding the next one: it looks again if the project still has none.
            if cleared or (is_redelivery() and await self._store.lacks_cover(owner, project_id)):
                await self._cover_from_assets(event)

        await self._apply_once(event, change, replace_cover)

    async def generation_requested(self, event: GenerationRequested) -> None:
        change = _change(event, {"generation_count": 1}, activity_ms=to_ms(event.occurred_at))
        await self._apply_once(event, change)

    async def generation_deleted(self, event: GenerationDeleted) -> None:
        await self._apply_once(event, _change(event, {"generations_removed": 1}))

    async def _cover_from_assets(self, event: AssetDeleted) -> None:
        """Offer the project's newest image outputs left, newest first, until one becomes the
        cover. Through the same guarded update as `asset.created`, so an asset deleted
        meanwhile (its tombstone is there) or older than a cover set meanwhile is refused.
        Raises ServiceUnavailable when the assets service cannot answer: the event is retried."""
        owner = Identity(event.user_id, event.request_id)
        candidates = await self._assets.newest_image_outputs(
            owner, event.project_id, limit=COVER_CANDIDATES
        )
        for asset in candidates:
            at_ms = to_ms(asset.created_at)
            if await self._store.offer_cover(event.user_id, event.project_id, asset.id, at_ms):
                log.info("stats.cover_replaced", project_id=event.project_id, asset_id=asset.id)
                return
        # None left, or each refused: deleted meanwhile, or older than a cover set meanwhile.
        log.info("stats.cover_not_replaced", project_id=event.project_id, offered=len(candidates))

    async def _apply_once(
        self,
        event: Event,
        change: StatsChange,
        follow_up: FollowUp | None = None,
        *,
        at_once: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        """`at_once`: steps 2 and 3 in one update, for when both apply (the usual case); when
        it changes nothing, the steps run one by one."""
        fields = {"subject": event.subject, "project_id": change.project_id}
        # The long memory is read only for a redelivery: a first delivery was never applied,
        # unless a producer published the event again after JetStream's duplicate window, and
        # then the project's own list of its last 500 events (step 2) still catches it.
        if is_redelivery() and await self._store.was_applied(event.event_id):
            log.info("stats.duplicate_skipped", **fields)
            return
        if at_once is not None and await at_once():
            counted = True
        else:
            counted = await self._store.apply(change)
            if follow_up is not None:
                await follow_up()
        await self._store.remember_applied(event.event_id, change.project_id)
        # Not counted: a redelivery after a crash, or a project that is gone (deleted, or not
        # this user's); either way the event is done with and gets acknowledged.
        if not counted:
            log.info("stats.ignored", **fields)

    async def forget_before(self, cutoff_ms: int) -> int:
        return await self._store.forget_applied_before(cutoff_ms)


def _change(
    event: AssetCreated | AssetDeleted | GenerationRequested | GenerationDeleted,
    increments: dict[str, int],
    **fields: Any,
) -> StatsChange:
    """The change an event makes to its project's stats, as its owner's."""
    return StatsChange(
        project_id=event.project_id,
        owner=event.user_id,
        event_id=event.event_id,
        increments=increments,
        **fields,
    )
