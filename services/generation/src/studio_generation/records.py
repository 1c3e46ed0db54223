"""A generation as the service keeps it: the typed form of a `generations` document.

The repository turns documents into these records at its boundary, so the rest of the service
(and mypy) works with named, typed fields. Times are integer milliseconds since the epoch, as
stored (`studio_runtime.clock`); `public()` turns a record into the API's `Generation`.
"""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from studio_contracts.dtos import ErrorInfo
from studio_contracts.enums import GenerationStatus, GenerationType, MediaType
from studio_contracts.events import OutputFile
from studio_contracts.generations import (
    Generation,
    GenerationInput,
    GenerationOutput,
    GenerationProgressInfo,
)
from studio_runtime.clock import from_ms
from studio_runtime.newest_first import with_sort_id

ACTIVE_STATUSES = (GenerationStatus.PENDING, GenerationStatus.PROCESSING)


class NewGeneration(BaseModel):
    """An accepted request, as first stored: exactly these fields."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    id: str = Field(alias="_id")
    owner: str
    project_id: str
    type: GenerationType
    model_id: str
    runtime: str
    """Which provider runs it (`fal`, `local`), from the catalog."""
    output: MediaType
    prompt: str
    params: dict[str, Any]
    input_asset_ids: list[str]
    input_bindings: dict[str, str | list[str]] = Field(default_factory=dict)
    """Input asset ids by the model's file parameter (a list for `images`)."""
    status: GenerationStatus = GenerationStatus.PENDING
    attempts: int = 0
    created_ms: int
    published: bool = False
    """Whether the relay has published `generation.requested` for it. The request's own publish
    is not recorded (see `GenerationService.publish_requested`): the relay publishes a record
    still pending after its `min_age_s` once, JetStream dropping it as a repeat if it was out."""
    request_id: str | None = None

    def document(self) -> dict[str, Any]:
        return with_sort_id(self.model_dump(by_alias=True, mode="json"))


class GenerationRecord(NewGeneration):
    """A stored generation, with what its life added to it."""

    started_ms: int | None = None
    completed_ms: int | None = None
    lease_until_ms: int = 0
    """Until when the worker running it holds it; another worker takes over after that."""
    provider_request: str | None = None
    """The provider's handle for the job, stored before waiting on it so a takeover resumes."""
    cancel_requested: bool = False
    progress: GenerationProgressInfo | None = None
    outputs: list[OutputFile] = Field(default_factory=list)
    error: ErrorInfo | None = None
    last_error: ErrorInfo | None = None
    """The transient failure that sent it back to pending, kept for the operator."""

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def public(record: GenerationRecord) -> Generation:
    """The record as the API shows it."""
    return Generation(
        id=record.id,
        project_id=record.project_id,
        type=record.type,
        model_id=record.model_id,
        prompt=record.prompt,
        params=record.params,
        input_asset_ids=record.input_asset_ids,
        inputs=_inputs(record),
        status=record.status,
        # Pending too: a job waiting to be tried again says so (see `Worker._transient`).
        progress=record.progress if record.active else None,
        error=record.error,
        outputs=[GenerationOutput.model_validate(o.model_dump()) for o in record.outputs],
        created_at=from_ms(record.created_ms),
        started_at=_at(record.started_ms),
        completed_at=_at(record.completed_ms),
        attempts=record.attempts,
        cancel_requested=record.cancel_requested and record.active,
    )


def _inputs(record: GenerationRecord) -> list[GenerationInput]:
    """Each input file with the parameter it was bound to, in the request's order (a file given
    twice takes its parameters in the order they were bound)."""
    params_of: dict[str, list[str]] = {}
    for param, bound in record.input_bindings.items():
        for asset_id in bound if isinstance(bound, list) else [bound]:
            params_of.setdefault(asset_id, []).append(param)
    inputs = []
    for asset_id in record.input_asset_ids:
        params = params_of.get(asset_id)
        # Not validated again: a record may be older than the rule for an id's form.
        went_to = params.pop(0) if params else None
        inputs.append(GenerationInput.model_construct(asset_id=asset_id, param=went_to))
    return inputs


def _at(ms: int | None) -> datetime | None:
    # 0 and missing alike: "not yet" (records once stored 0 for an unset time).
    return from_ms(ms) if ms else None
