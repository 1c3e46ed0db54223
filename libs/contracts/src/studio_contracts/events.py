"""Event payloads published on NATS. Each carries the common envelope and knows its subject."""

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from studio_contracts import subjects
from studio_contracts.dtos import ErrorInfo
from studio_contracts.enums import GenerationStatus, GenerationType, MediaType


def _new_event_id() -> str:
    return uuid4().hex


def _now() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """The envelope: who and when, plus the ids that tie log lines together across services.

    `event_id` is also the JetStream `Nats-Msg-Id`, so a double publish is swallowed.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    subject: ClassVar[str]

    event_id: str = Field(default_factory=_new_event_id)
    occurred_at: datetime = Field(default_factory=_now)
    user_id: str
    request_id: str | None = None
    trace_id: str | None = None


class OutputFile(BaseModel):
    """One output of a finished generation, already written to object storage."""

    index: int
    asset_id: str | None = None
    """The asset id to register it under (`generations.output_asset_id`)."""
    object_key: str
    media_type: MediaType
    content_type: str
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    waveform: list[int] | None = None
    """A sound's shape as the assets service found it when it registered the output (the
    asset's `waveform`), so the history can draw it without asking for the asset."""
    thumbnail: bool | None = None
    """Whether the assets service made a preview when it registered the output (the asset has
    a `thumbnail_url`): always for an image, for a video when its first frame could be decoded.
    `None` before registration and on records completed before this field existed."""
    safety_flagged: bool = False
    """The provider's safety checker flagged it (fal.ai's `has_nsfw_concepts`): the file is the
    black image fal.ai sends in place of what it withheld."""


class GenerationEvent(Event):
    generation_id: str
    project_id: str


class GenerationRequested(GenerationEvent):
    subject = subjects.GENERATION_REQUESTED

    type: GenerationType
    model_id: str
    prompt: str
    params: dict[str, Any]
    input_asset_ids: list[str] = Field(default_factory=list)


class GenerationStarted(GenerationEvent):
    subject = subjects.GENERATION_STARTED

    attempt: int


class GenerationProgress(GenerationEvent):
    subject = subjects.GENERATION_PROGRESS

    queue_position: int | None = None
    percent: float | None = None
    logs: list[str] = Field(default_factory=list)
    status: GenerationStatus | None = None
    """The generation's status as this was said: `processing` while it runs, `pending` while it
    waits to be tried again after a transient failure (the record went back to `pending`, and
    `logs` says why and when). Absent before events 1.4.0."""


class GenerationCompleted(GenerationEvent):
    subject = subjects.GENERATION_COMPLETED

    model_id: str
    prompt: str
    outputs: list[OutputFile]


class GenerationFailed(GenerationEvent):
    subject = subjects.GENERATION_FAILED

    error: ErrorInfo


class GenerationCancelled(GenerationEvent):
    subject = subjects.GENERATION_CANCELLED


class GenerationDeleted(GenerationEvent):
    """Its owner removed the record (a finished generation); its outputs stay as assets unless
    they were deleted with it (each then has its own `asset.deleted`)."""

    subject = subjects.GENERATION_DELETED


class AssetEvent(Event):
    asset_id: str
    project_id: str


class AssetCreated(AssetEvent):
    subject = subjects.ASSET_CREATED

    media_type: MediaType
    kind: str
    generation_id: str | None = None
    output_index: int | None = None


class AssetDeleted(AssetEvent):
    subject = subjects.ASSET_DELETED

    generation_id: str | None = None
    """The generation it was an output of: that generation no longer lists it."""


class AssetUpdated(AssetEvent):
    subject = subjects.ASSET_UPDATED

    fields: list[str]
    """The fields its owner changed (`name`, `tags`, `favorite`)."""
    name: str
    tags: list[str]
    favorite: bool
    """The three as they are after the change."""


class ProjectCreated(Event):
    subject = subjects.PROJECT_CREATED

    project_id: str
    name: str


class ProjectUpdated(Event):
    subject = subjects.PROJECT_UPDATED

    project_id: str
    fields: list[str]
    """The fields that changed (`name`, `description`)."""
    name: str
    """The project's name after the change."""


class ProjectDeleted(Event):
    subject = subjects.PROJECT_DELETED

    project_id: str


class TemplateEvent(Event):
    template_id: str


class TemplateCreated(TemplateEvent):
    subject = subjects.TEMPLATE_CREATED

    name: str
    type: GenerationType
    model_id: str


class TemplateUpdated(TemplateEvent):
    subject = subjects.TEMPLATE_UPDATED

    fields: list[str]
    """The fields that changed (`name`, `description`, `prompt`, `params`)."""


class TemplateDeleted(TemplateEvent):
    subject = subjects.TEMPLATE_DELETED
