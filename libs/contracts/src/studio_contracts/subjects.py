"""NATS subject names and JetStream stream definitions.

Every subject and stream name can carry a prefix so that tests (and several installations on one
NATS) never see each other's messages. Each stream is declared by exactly one owning service;
everyone else binds to it, since a declaration overwrites the stream's configuration.
"""

from dataclasses import dataclass
from datetime import timedelta

GENERATION_REQUESTED = "generation.requested"
GENERATION_STARTED = "generation.started"
GENERATION_PROGRESS = "generation.progress"
GENERATION_COMPLETED = "generation.completed"
GENERATION_FAILED = "generation.failed"
GENERATION_CANCELLED = "generation.cancelled"
GENERATION_DELETED = "generation.deleted"
ASSET_CREATED = "asset.created"
ASSET_DELETED = "asset.deleted"
ASSET_UPDATED = "asset.updated"
PROJECT_CREATED = "project.created"
PROJECT_UPDATED = "project.updated"
PROJECT_DELETED = "project.deleted"
TEMPLATE_CREATED = "template.created"
TEMPLATE_UPDATED = "template.updated"
TEMPLATE_DELETED = "template.deleted"

CREDENTIAL_REVOKED = "gateway.credential-revoked"
"""Core NATS (not stored): a session or API token id every gateway must stop trusting now."""

GENERATION_CANCEL_REQUESTED = "generation-control.cancel"
"""Core NATS (not stored; outside `generation.>`): a generation id whose owner asked to cancel
it while it runs. The worker holding the job stops it at once; the record's `cancel_requested`
flag, checked at every lease renewal, covers a message that is lost."""

ASSETS_REGISTER_OUTPUTS = "assets-rpc.register-outputs"
"""Core NATS request-reply (outside `asset.>`): the worker asks the assets service to record a
job's outputs (an `OutputsRegistration`; the reply a `RegisteredOutputs`) before it completes
the job. The same call as `PUT /internal/v1/generations/{id}/outputs`, one hop cheaper."""

NOT_STORED = (CREDENTIAL_REVOKED, GENERATION_CANCEL_REQUESTED, ASSETS_REGISTER_OUTPUTS)
"""The core NATS subjects: in no stream, and not part of the events' contract."""

WORKERS_CONSUMER = "generation-workers"
"""The one durable consumer of `generation.requested` that every worker replica shares."""


def subject(name: str, prefix: str = "") -> str:
    """The subject `name` under an optional isolation prefix."""
    return f"{prefix}.{name}" if prefix else name


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    owner: str
    max_age: timedelta
    max_bytes: int
    duplicate_window: timedelta = timedelta(minutes=2)

    def with_prefix(self, prefix: str) -> "StreamSpec":
        if not prefix:
            return self
        return StreamSpec(
            name=f"{prefix.upper()}_{self.name}",
            subjects=tuple(subject(s, prefix) for s in self.subjects),
            owner=self.owner,
            max_age=self.max_age,
            max_bytes=self.max_bytes,
            duplicate_window=self.duplicate_window,
        )


GENERATIONS_STREAM = StreamSpec(
    name="GENERATIONS",
    subjects=("generation.>",),
    owner="generation",
    max_age=timedelta(days=7),
    max_bytes=1 << 30,
)
ASSETS_STREAM = StreamSpec(
    name="ASSETS",
    subjects=("asset.>",),
    owner="assets",
    max_age=timedelta(days=7),
    max_bytes=256 << 20,
)
PROJECTS_STREAM = StreamSpec(
    # User templates are the projects service's too (a user's workspace objects), so their
    # events share its stream rather than adding one more to declare and follow.
    name="PROJECTS",
    subjects=("project.>", "template.>"),
    owner="projects",
    max_age=timedelta(days=7),
    max_bytes=256 << 20,
)
STREAMS = (GENERATIONS_STREAM, ASSETS_STREAM, PROJECTS_STREAM)
