"""The assets service's events: what it publishes (`asset.created`, `asset.updated`,
`asset.deleted`, and the
announcer that publishes the `asset.created` events the broker refused), and what it consumes
(`project.deleted`: a deleted project's assets go with it).

Generation outputs are not learnt from `generation.completed`: the worker registers them over
HTTP before it completes the job (see `outputs_api.py`).

Handlers and the announcer's step are passed in as functions, so that this module needs
nothing from the service that uses its publisher.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from studio_contracts import subjects
from studio_contracts.events import AssetCreated, AssetDeleted, AssetUpdated, ProjectDeleted
from studio_runtime.events import ConsumerSpec, EventConsumer, EventPublisher
from studio_runtime.retrying import until_it_works

from studio_assets.repository import AssetRecord

log = structlog.get_logger(__name__)


class AssetEvents:
    """Publishes an asset's events. The event ids are derived from the asset id, so a second
    publish of the same event (a retry, the announcer) is dropped by JetStream or downstream."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def publish_created(self, record: AssetRecord, request_id: str | None) -> None:
        await self._publisher.publish(
            AssetCreated(
                event_id=f"{record.id}.created",
                user_id=record.owner,
                request_id=request_id,
                asset_id=record.id,
                project_id=record.project_id,
                media_type=record.media_type,
                kind=record.kind,
                generation_id=record.generation_id,
                output_index=record.output_index,
            )
        )

    async def publish_updated(
        self, record: AssetRecord, fields: list[str], request_id: str | None
    ) -> None:
        # A fresh event id each time: two renames are two events.
        await self._publisher.publish(
            AssetUpdated(
                user_id=record.owner,
                request_id=request_id,
                asset_id=record.id,
                project_id=record.project_id,
                fields=fields,
                name=record.name,
                tags=record.tags,
                favorite=record.favorite,
            )
        )

    async def publish_deleted(self, record: AssetRecord, request_id: str | None) -> None:
        await self._publisher.publish(
            AssetDeleted(
                event_id=f"{record.id}.deleted",
                user_id=record.owner,
                request_id=request_id,
                asset_id=record.id,
                project_id=record.project_id,
                generation_id=record.generation_id,
            )
        )


async def run_announcer(
    announce_deferred: Callable[[], Awaitable[int]], *, interval_s: float
) -> None:
    """Every `interval_s`, publish the `asset.created` events the broker refused earlier.

    Registering a generation's outputs must not fail because NATS is away for a moment (the
    worker would otherwise retry the whole job): the records are stored and served, the events
    not published are flagged, and this loop publishes them once the broker is back. A periodic
    sweep rather than a retry of each publish: the flags outlive a restart of the service."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            published = await announce_deferred()
        except Exception as exc:  # still down: next round
            log.warning("announcer.failed", error=str(exc))
            continue
        if published:
            log.info("announcer.published", events=published)


PROJECT_CLEANUP = ConsumerSpec(
    stream=subjects.PROJECTS_STREAM,
    durable="assets-project-cleanup",
    filter_subject=subjects.PROJECT_DELETED,
    ack_wait_s=120,
    concurrency=4,
)
RETIRED_DURABLES = ((subjects.GENERATIONS_STREAM, "assets-outputs"),)
"""Consumers earlier versions created; left on the server they would hold messages for ever."""


def consumers(
    js: JetStreamContext,
    *,
    on_project_deleted: Callable[[ProjectDeleted], Awaitable[None]],
    prefix: str,
) -> list[EventConsumer[Any]]:
    """Durable consumers on streams other services own; each waits until its stream exists."""
    return [EventConsumer(js, PROJECT_CLEANUP, ProjectDeleted, on_project_deleted, prefix=prefix)]


async def retire_old_consumers(js: JetStreamContext, *, prefix: str) -> None:
    """Delete the retired consumers, waiting for NATS if it is away (run in the background)."""

    async def retire() -> None:
        for stream, durable in RETIRED_DURABLES:
            with contextlib.suppress(NotFoundError):
                await js.delete_consumer(stream.with_prefix(prefix).name, durable)

    await until_it_works(retire, what="old_consumers")
