"""The generation service's public shapes."""

import hashlib
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from studio_contracts.catalog import ModelId
from studio_contracts.dtos import ErrorInfo
from studio_contracts.enums import GenerationStatus, GenerationType, MediaType
from studio_contracts.text import LongText

MAX_INPUT_ASSETS = 8
RECORD_ID_PATTERN = r"^[0-9a-f]{24}$"
"""A record id as `studio_runtime.ids` makes them (that module's `ID_PATTERN`; the contracts
cannot import the runtime). Only the canonical form is accepted: an id is put into URLs (the
assets service is asked for it), where `../x` or `x/content` would name a different resource."""


def output_asset_id(generation_id: str, index: int) -> str:
    """The asset id of a generation's output, known before the asset exists.

    Time-ordered like every id (the generation's creation time leads), deterministic so the
    worker can name it in `generation.completed` and the assets service register it under the
    same id, however often the event is delivered."""
    digest = hashlib.sha256(f"{generation_id}:{index}".encode()).hexdigest()
    return generation_id[:12] + digest[:12]


def prompt_from_params(data: Any, *, keep_in_params: bool) -> Any:
    """A request body whose prompt is given only as `params.prompt` (the API takes it there, as
    fal does), with that prompt as its `prompt` too: the prompt shown on its card, named in its
    outputs and found by a search. A top-level prompt wins over one in `params`."""
    if not isinstance(data, dict) or data.get("prompt"):
        return data
    params = data.get("params")
    if not isinstance(params, dict) or not isinstance(params.get("prompt"), str):
        return data
    prompt = params["prompt"]
    if not keep_in_params:
        params = {name: value for name, value in params.items() if name != "prompt"}
    return {**data, "prompt": prompt, "params": params}


class GenerationInput(BaseModel):
    """A file of a request, and the model's file parameter it goes to: `mask_url`, say, where
    the files given by `input_asset_ids` are bound by kind and order (the first image to the
    first image parameter), which cannot reach an image parameter after a list of images."""

    model_config = ConfigDict(extra="forbid")

    asset_id: Annotated[str, Field(pattern=RECORD_ID_PATTERN)]
    param: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")] | None = None
    """The model's parameter (as the catalog's `params` name it); none: bound by kind and order
    like `input_asset_ids`."""


class GenerationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: GenerationType
    model_id: ModelId
    """The catalog's own pattern: no segment starts with a dot, so `local/./image` or
    `local/../fal-ai/flux/dev` is refused here rather than stored under a second name."""
    prompt: Annotated[str, Field(max_length=10_000), LongText] = ""
    params: dict[str, Any] = Field(default_factory=dict)
    input_asset_ids: Annotated[
        list[Annotated[str, Field(pattern=RECORD_ID_PATTERN)]], Field(max_length=MAX_INPUT_ASSETS)
    ] = Field(default_factory=list)
    inputs: Annotated[list[GenerationInput], Field(max_length=MAX_INPUT_ASSETS)] = Field(
        default_factory=list
    )
    """The files with the parameter each goes to, in place of `input_asset_ids`."""

    @model_validator(mode="before")
    @classmethod
    def _prompt_in_params(cls, data: Any) -> Any:
        return prompt_from_params(data, keep_in_params=True)

    @model_validator(mode="after")
    def _files_given_once(self) -> "GenerationCreate":
        if self.inputs and self.input_asset_ids:
            raise ValueError("give the files as input_asset_ids or as inputs, not both")
        return self

    def files(self) -> list[GenerationInput]:
        """The request's files in order, each with the parameter it names (or none)."""
        if self.inputs:
            return list(self.inputs)
        return [GenerationInput(asset_id=asset_id) for asset_id in self.input_asset_ids]


class RetryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reroll_seed: StrictBool = False
    """Keep the seed (the same picture again, if the model is deterministic) or draw a new one."""


class GenerationOutput(BaseModel):
    index: int
    asset_id: str
    media_type: MediaType
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    waveform: list[int] | None = None
    """A sound's loudness, as the asset's `waveform`: 64 peaks, 0 to 100."""
    thumbnail: bool | None = None
    """Whether the asset has a preview at its `thumbnail_url` (an image's, or a video's first
    frame), so a history can show it without asking for the asset; `None` when not known (a
    record older than this field)."""
    safety_flagged: bool = False
    """The provider's safety checker flagged this output (fal.ai's `has_nsfw_concepts`): the file
    is the black image fal.ai sends in place of what it withheld, so its card says why it is
    black. `false` for every other output and on records completed before this field."""


class GenerationProgressInfo(BaseModel):
    queue_position: int | None = None
    percent: float | None = None
    logs: list[str] = Field(default_factory=list)


class Generation(BaseModel):
    id: str
    project_id: str
    type: GenerationType
    model_id: str
    prompt: str
    params: dict[str, Any]
    input_asset_ids: list[str]
    inputs: list[GenerationInput] = Field(default_factory=list)
    """Each of `input_asset_ids` with the model's parameter it went to (`image_urls`,
    `mask_url`), in the same order; `param` is none on records older than this field."""
    status: GenerationStatus
    progress: GenerationProgressInfo | None = None
    error: ErrorInfo | None = None
    outputs: list[GenerationOutput] = Field(default_factory=list)
    created_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    attempts: int = 0
    cancel_requested: bool = False
    """Its owner asked to cancel it while it ran: the worker holding it is stopping it (it ends
    `cancelled`, or `completed` if the provider had already finished). Only while it is active."""
