"""The generation events, built from a generation record and published on NATS."""

from datetime import UTC, datetime
from typing import Any

from studio_contracts.dtos import ErrorInfo
from studio_contracts.events import (
    GenerationCancelled,
    GenerationCompleted,
    GenerationFailed,
    GenerationProgress,
    GenerationRequested,
    GenerationStarted,
    OutputFile,
)
from studio_runtime.events import EventPublisher

Doc = dict[str, Any]


class GenerationEvents:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def requested(
        self, doc: Doc, request_id: str | None = None, *, requeue: bool = False
    ) -> None:
        # The message id is the generation id: JetStream swallows a relay's second publish. A
        # requeue of a job whose message was used up must get through, so it gets a fresh one;
        # the event id stays, and consumers count the generation once.
        msg_id = f"{doc['_id']}.requeue{doc.get('attempts', 0)}" if requeue else None
        await self._publisher.publish(
            GenerationRequested(
                event_id=doc["_id"],
                **_envelope(doc, request_id),
                type=doc["type"],
                model_id=doc["model_id"],
                prompt=doc["prompt"],
                params=doc["params"],
                input_asset_ids=doc["input_asset_ids"],
            ),
            msg_id=msg_id,
        )

    async def started(self, doc: Doc) -> None:
        await self._publisher.publish(
            GenerationStarted(**_envelope(doc), attempt=doc.get("attempts", 1))
        )

    async def progress(self, doc: Doc, progress: Doc) -> None:
        await self._publisher.publish(GenerationProgress(**_envelope(doc), **progress))

    async def completed(self, doc: Doc, outputs: list[OutputFile]) -> None:
        await self._publisher.publish(
            GenerationCompleted(
                event_id=f"{doc['_id']}.completed",
                **_envelope(doc),
                model_id=doc["model_id"],
                prompt=doc["prompt"],
                outputs=outputs,
            )
        )

    async def failed(self, doc: Doc, error: ErrorInfo) -> None:
        await self._publisher.publish(
            GenerationFailed(event_id=f"{doc['_id']}.failed", **_envelope(doc), error=error)
        )

    async def cancelled(self, doc: Doc) -> None:
        await self._publisher.publish(
            GenerationCancelled(event_id=f"{doc['_id']}.cancelled", **_envelope(doc))
        )


def _envelope(doc: Doc, request_id: str | None = None) -> Doc:
    return {
        "user_id": doc["owner"],
        "generation_id": doc["_id"],
        "project_id": doc["project_id"],
        "request_id": request_id or doc.get("request_id"),
        "occurred_at": datetime.now(UTC),
    }
