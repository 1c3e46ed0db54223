"""The generation service's events: what it publishes (`GenerationEvents`, built from a
generation record) and what it subscribes to (the workers' job queue, project deletions,
deleted outputs).
`main.py` only wires these to the processes."""

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from studio_contracts import subjects
from studio_contracts.dtos import ErrorInfo
from studio_contracts.events import (
    AssetDeleted,
    GenerationCancelled,
    GenerationCompleted,
    GenerationDeleted,
    GenerationFailed,
    GenerationProgress,
    GenerationRequested,
    GenerationStarted,
    OutputFile,
    ProjectDeleted,
)
from studio_contracts.generations import GenerationProgressInfo
from studio_runtime.events import ConsumerSpec, EventConsumer, EventPublisher

from studio_generation.projects_cache import CachedProjects
from studio_generation.records import GenerationRecord
from studio_generation.settings import WorkerSettings

PROJECT_CLEANUP = ConsumerSpec(
    stream=subjects.PROJECTS_STREAM,
    durable="generation-project-cleanup",
    filter_subject=subjects.PROJECT_DELETED,
    concurrency=4,
)
OUTPUT_DELETIONS = ConsumerSpec(
    stream=subjects.ASSETS_STREAM,
    durable="generation-output-deletions",
    filter_subject=subjects.ASSET_DELETED,
    concurrency=4,
)


class GenerationEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def requested(self, record: GenerationRecord, *, requeue: bool = False) -> None:
        # The message id is the generation id: JetStream swallows a relay's second publish. A
        # requeue of a job whose message was used up must get through, so it gets a fresh one;
        # the event id stays, and consumers count the generation once.
        msg_id = f"{record.id}.requeue{record.attempts}" if requeue else None
        await self._publisher.publish(
            GenerationRequested(
                event_id=record.id,
                **_envelope(record),
                type=record.type,
                model_id=record.model_id,
                prompt=record.prompt,
                params=record.params,
                input_asset_ids=record.input_asset_ids,
            ),
            msg_id=msg_id,
        )

    async def started(self, record: GenerationRecord) -> None:
        await self._publisher.publish(
            GenerationStarted(**_envelope(record), attempt=record.attempts)
        )

    async def progress(self, record: GenerationRecord, progress: GenerationProgressInfo) -> None:
        await self._publisher.publish(
            GenerationProgress(**_envelope(record), **progress.model_dump(), status=record.status)
        )

    async def completed(self, record: GenerationRecord, outputs: Sequence[OutputFile]) -> None:
        await self._publisher.publish(
            GenerationCompleted(
                event_id=f"{record.id}.completed",
                **_envelope(record),
                model_id=record.model_id,
                prompt=record.prompt,
                outputs=list(outputs),
            )
        )

    async def failed(self, record: GenerationRecord, error: ErrorInfo) -> None:
        await self._publisher.publish(
            GenerationFailed(event_id=f"{record.id}.failed", **_envelope(record), error=error)
        )

    async def cancelled(self, record: GenerationRecord) -> None:
        await self._publisher.publish(
            GenerationCancelled(event_id=f"{record.id}.cancelled", **_envelope(record))
        )

    async def deleted(self, record: GenerationRecord, request_id: str | None) -> None:
        envelope = {**_envelope(record), "request_id": request_id}
        await self._publisher.publish(
            GenerationDeleted(event_id=f"{record.id}.deleted", **envelope)
        )


def project_cleanup(
    js: JetStreamContext, handler: Callable[[ProjectDeleted], Awaitable[None]], *, prefix: str
) -> EventConsumer[ProjectDeleted]:
    """The API's durable consumer of `project.deleted`: one replica removes the generations."""
    return EventConsumer(js, PROJECT_CLEANUP, ProjectDeleted, handler, prefix=prefix)


def output_deletions(
    js: JetStreamContext, handler: Callable[[AssetDeleted], Awaitable[None]], *, prefix: str
) -> EventConsumer[AssetDeleted]:
    """The API's durable consumer of `asset.deleted`: a deleted output leaves its generation."""
    return EventConsumer(js, OUTPUT_DELETIONS, AssetDeleted, handler, prefix=prefix)


def job_queue(
    js: JetStreamContext,
    handler: Callable[[GenerationRequested], Awaitable[None]],
    settings: WorkerSettings,
) -> EventConsumer[GenerationRequested]:
    """The workers' shared durable consumer of `generation.requested`."""
    spec = ConsumerSpec(
        stream=subjects.GENERATIONS_STREAM,
        durable=subjects.WORKERS_CONSUMER,
        filter_subject=subjects.GENERATION_REQUESTED,
        ack_wait_s=max(settings.ack_wait_s, settings.heartbeat_s * 3),
        max_deliver=settings.max_attempts + 10,
        max_ack_pending=20_000,
        batch=min(settings.worker_concurrency, 256),
        concurrency=settings.worker_concurrency,
        heartbeat_s=settings.heartbeat_s,
    )
    return EventConsumer(js, spec, GenerationRequested, handler, prefix=settings.nats_prefix)


async def follow_project_deletions(
    nc: NatsClient, projects: CachedProjects, *, prefix: str
) -> Subscription:
    """Every API replica forgets a deleted project at once: a plain NATS subscription, so each
    replica sees every deletion (a shared durable consumer would give each to one of them)."""

    async def forget(message: Msg) -> None:
        try:
            event = ProjectDeleted.model_validate_json(message.data)
        except ValueError:
            return
        projects.forget(event.user_id, event.project_id)

    return await nc.subscribe(subjects.subject(subjects.PROJECT_DELETED, prefix), cb=forget)


def _envelope(record: GenerationRecord) -> dict[str, Any]:
    return {
        "user_id": record.owner,
        "generation_id": record.id,
        "project_id": record.project_id,
        "request_id": record.request_id,
        "occurred_at": datetime.now(UTC),
    }
