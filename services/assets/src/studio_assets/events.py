"""The assets service's subscriptions: outputs of finished generations become assets, and a
deleted project's assets go with it."""

from nats.js import JetStreamContext
from studio_contracts import subjects
from studio_contracts.events import GenerationCompleted, ProjectDeleted
from studio_runtime.events import ConsumerSpec, EventConsumer

from studio_assets.service import AssetService

OUTPUTS = ConsumerSpec(
    stream=subjects.GENERATIONS_STREAM,
    durable="assets-outputs",
    filter_subject=subjects.GENERATION_COMPLETED,
    ack_wait_s=60,
)
PROJECT_CLEANUP = ConsumerSpec(
    stream=subjects.PROJECTS_STREAM,
    durable="assets-project-cleanup",
    filter_subject=subjects.PROJECT_DELETED,
    ack_wait_s=120,
    concurrency=4,
)


def build_consumers(
    js: JetStreamContext, service: AssetService, *, prefix: str
) -> list[EventConsumer]:  # type: ignore[type-arg]
    return [
        EventConsumer(js, OUTPUTS, GenerationCompleted, service.register_outputs, prefix=prefix),
        EventConsumer(
            js, PROJECT_CLEANUP, ProjectDeleted, service.delete_project_assets, prefix=prefix
        ),
    ]
