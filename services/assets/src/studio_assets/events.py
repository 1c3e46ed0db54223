"""The assets service's subscriptions: a deleted project's assets go with it.

Generation outputs are not learnt from `generation.completed`: the worker registers them over
HTTP before it completes the job (see `outputs_api.py`)."""

import contextlib

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from studio_contracts import subjects
from studio_contracts.events import ProjectDeleted
from studio_runtime.events import ConsumerSpec, EventConsumer

from studio_assets.service import AssetService

PROJECT_CLEANUP = ConsumerSpec(
    stream=subjects.PROJECTS_STREAM,
    durable="assets-project-cleanup",
    filter_subject=subjects.PROJECT_DELETED,
    ack_wait_s=120,
    concurrency=4,
)
RETIRED_DURABLES = ((subjects.GENERATIONS_STREAM, "assets-outputs"),)
"""Consumers earlier versions created; left on the server they would hold messages for ever."""


def build_consumers(
    js: JetStreamContext, service: AssetService, *, prefix: str
) -> list[EventConsumer]:  # type: ignore[type-arg]
    return [
        EventConsumer(
            js, PROJECT_CLEANUP, ProjectDeleted, service.delete_project_assets, prefix=prefix
        ),
    ]


async def retire_old_consumers(js: JetStreamContext, *, prefix: str) -> None:
    for stream, durable in RETIRED_DURABLES:
        with contextlib.suppress(NotFoundError):
            await js.delete_consumer(stream.with_prefix(prefix).name, durable)
