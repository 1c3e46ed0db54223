"""The projects service's events: what it publishes on its PROJECTS stream (`project.*` and
`template.*`, through `ProjectEvents`), and what it consumes (other services' asset and
generation events, which keep the project stats; the handlers are `StatsKeeper`'s)."""

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from nats.js import JetStreamContext
from studio_contracts.events import (
    AssetCreated,
    AssetDeleted,
    Event,
    GenerationDeleted,
    GenerationRequested,
    ProjectCreated,
    ProjectDeleted,
    ProjectUpdated,
    TemplateCreated,
    TemplateDeleted,
    TemplateUpdated,
)
from studio_contracts.projects import Project
from studio_contracts.subjects import (
    ASSET_CREATED,
    ASSET_DELETED,
    ASSETS_STREAM,
    GENERATION_DELETED,
    GENERATION_REQUESTED,
    GENERATIONS_STREAM,
    StreamSpec,
)
from studio_contracts.templates import Template
from studio_runtime.events import ConsumerSpec, EventConsumer, EventPublisher

from studio_projects.repository import Deletion
from studio_projects.stats import StatsKeeper


class PublishFailed(Exception):
    """An event did not get a JetStream acknowledgement.

    `maybe_published` tells the two failures apart that callers must treat differently: a
    refusal (not connected, no stream, an error reply) means the event was certainly not stored;
    a timeout means it may have been, or may still be once a dropped connection comes back
    (nats-py buffers while reconnecting)."""

    def __init__(self, event: Event, *, maybe_published: bool) -> None:
        state = "may have been" if maybe_published else "was not"
        super().__init__(f"{event.subject} {event.event_id} {state} published")
        self.maybe_published = maybe_published


class ProjectEvents:
    """Publishes the service's events; each raises PublishFailed when the event may not be out."""

    def __init__(self, publisher: EventPublisher, is_connected: Callable[[], bool]) -> None:
        self._publisher = publisher
        self._is_connected = is_connected

    def available(self) -> bool:
        """Whether publishing can be tried at all; checked before any write that needs it."""
        return self._is_connected()

    async def publish_project_created(
        self, owner: str, project: Project, *, request_id: str | None
    ) -> None:
        await self._publish(
            ProjectCreated(
                user_id=owner, request_id=request_id, project_id=project.id, name=project.name
            )
        )

    async def publish_project_updated(
        self, owner: str, project: Project, fields: Iterable[str], *, request_id: str | None
    ) -> None:
        await self._publish(
            ProjectUpdated(
                user_id=owner,
                request_id=request_id,
                project_id=project.id,
                fields=sorted(fields),
                name=project.name,
            )
        )

    async def publish_project_deleted(self, deletion: Deletion, *, request_id: str | None) -> None:
        """With the event id the deletion recorded, so a repeat (the sweep) is the same event."""
        await self._publish(
            ProjectDeleted(
                event_id=deletion.event_id,
                user_id=deletion.owner,
                request_id=request_id,
                project_id=deletion.project_id,
            )
        )

    async def publish_template_created(
        self, owner: str, template: Template, *, request_id: str | None
    ) -> None:
        await self._publish(
            TemplateCreated(
                user_id=owner,
                request_id=request_id,
                template_id=template.id,
                name=template.name,
                type=template.type,
                model_id=template.model_id,
            )
        )

    async def publish_template_updated(
        self, owner: str, template_id: str, fields: Iterable[str], *, request_id: str | None
    ) -> None:
        await self._publish(
            TemplateUpdated(
                user_id=owner, request_id=request_id, template_id=template_id, fields=sorted(fields)
            )
        )

    async def publish_template_deleted(
        self, owner: str, template_id: str, *, request_id: str | None
    ) -> None:
        await self._publish(
            TemplateDeleted(user_id=owner, request_id=request_id, template_id=template_id)
        )

    async def _publish(self, event: Event) -> None:
        if not self._is_connected():
            # Refused up front: a publish now would sit in the reconnect buffer, unconfirmed.
            raise PublishFailed(event, maybe_published=False)
        try:
            await self._publisher.publish(event)
        except TimeoutError as exc:  # nats.errors.TimeoutError is one
            raise PublishFailed(event, maybe_published=True) from exc
        except Exception as exc:
            raise PublishFailed(event, maybe_published=False) from exc


STATS_MAX_DELIVER = 120
"""With the consumer's back-off capped at 30 s, about an hour of MongoDB outage before an event is
given up (and logged as dropped); the default 10 would lose counts after about two minutes."""

STATS_LINGER_S = 0.1
"""Counts and covers may show a tenth of a second late; in exchange, under load, the events of
that tenth are counted in a few database commands instead of two per event or so."""


@dataclass(frozen=True)
class StatsFollow:
    """One durable consumer of the stats: which events, and the `StatsKeeper` method they go to."""

    durable: str
    stream: StreamSpec
    subject: str
    model: type[Event]
    handler: Callable[[StatsKeeper, Any], Awaitable[None]]


STATS_FOLLOWS = (
    StatsFollow(
        "projects-stats-assets-created",
        ASSETS_STREAM,
        ASSET_CREATED,
        AssetCreated,
        StatsKeeper.asset_created,
    ),
    StatsFollow(
        "projects-stats-assets-deleted",
        ASSETS_STREAM,
        ASSET_DELETED,
        AssetDeleted,
        StatsKeeper.asset_deleted,
    ),
    StatsFollow(
        "projects-stats-generations",
        GENERATIONS_STREAM,
        GENERATION_REQUESTED,
        GenerationRequested,
        StatsKeeper.generation_requested,
    ),
    StatsFollow(
        "projects-stats-generations-deleted",
        GENERATIONS_STREAM,
        GENERATION_DELETED,
        GenerationDeleted,
        StatsKeeper.generation_deleted,
    ),
)
STATS_DURABLES = tuple(follow.durable for follow in STATS_FOLLOWS)


def stats_consumers(
    js: JetStreamContext, stats: StatsKeeper, *, prefix: str
) -> list[EventConsumer[Any]]:
    """Durable consumers on streams other services own; each waits until its stream exists."""
    return [
        EventConsumer(
            js,
            ConsumerSpec(
                follow.stream,
                follow.durable,
                follow.subject,
                max_deliver=STATS_MAX_DELIVER,
                linger_s=STATS_LINGER_S,
            ),
            follow.model,
            partial(follow.handler, stats),
            prefix=prefix,
        )
        for follow in STATS_FOLLOWS
    ]
