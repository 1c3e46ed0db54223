"""The model catalog's public shapes: what the catalog answers and the generation service reads."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from studio_contracts.enums import GenerationType, MediaType, Quality

ParamType = Literal[
    "string", "integer", "number", "boolean", "image_size", "image", "video", "audio", "images"
]
"""A parameter's value type. `image`/`video`/`audio` are one file URL, `images` a list of image
URLs: those are bound from the generation's input assets, never typed in by a person.
`image_size` is fal's size parameter: one of the `enum` names, or a custom
`{"width": W, "height": H}` with both sides within `minimum`..`maximum` pixels."""

MEDIA_PARAM_TYPES: frozenset[str] = frozenset({"image", "video", "audio", "images"})

Scalar = str | int | float | bool

MODEL_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*(/[a-zA-Z0-9_-][a-zA-Z0-9._-]*)+$"
"""A model id: the fal endpoint id, e.g. `fal-ai/flux/dev` or `local/image`. No segment starts
with a dot, so no `.`/`..` segment can turn an id into a different path once it is in a URL."""
MODEL_ID_MAX = 200

ModelId = Annotated[str, Field(max_length=MODEL_ID_MAX, pattern=MODEL_ID_PATTERN)]

DEFAULT_STRING_PARAM_MAX = 10_000
"""The longest value a `string` parameter takes unless its spec says otherwise (`max_length`):
the prompt's own cap. Every string is stored, queued on NATS (1 MiB a message) and sent to the
provider, so none may be unbounded."""


class ParamSpec(BaseModel):
    """One input parameter of a model, named exactly as fal names it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ParamType
    required: bool = False
    default: Scalar | None = None
    minimum: float | None = None
    maximum: float | None = None
    enum: list[Scalar] | None = None
    max_length: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """For `string` parameters: the most characters a value may have (default
    `DEFAULT_STRING_PARAM_MAX`)."""
    description: str = ""

    @property
    def is_media(self) -> bool:
        return self.type in MEDIA_PARAM_TYPES

    @model_validator(mode="after")
    def _consistent(self) -> "ParamSpec":
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is greater than maximum")
        if (self.minimum is not None or self.maximum is not None) and self.type not in (
            "integer",
            "number",
            "image_size",
        ):
            raise ValueError("minimum/maximum only apply to integer, number and image_size")
        if self.max_length is not None and self.type != "string":
            raise ValueError("max_length only applies to string")
        if self.enum is not None and not self.enum:
            raise ValueError("enum must list at least one value")
        if self.is_media and (self.default is not None or self.enum is not None):
            raise ValueError("media parameters take no default or enum")
        return self


class ProviderGroup(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    name: str


class ModelInfo(BaseModel):
    """A model as the catalog serves it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: ModelId
    name: str
    provider: ProviderGroup
    runtime: Literal["fal", "local"]
    types: list[GenerationType]
    output: MediaType
    quality: Quality
    recommended: bool = False
    description: str
    price: str
    params: dict[str, ParamSpec]
    prompt_param: str | None = Field(
        default=None,
        description="The string parameter the prompt is sent as, for a model that takes no "
        "`prompt` (ElevenLabs' speech takes the words to say as `text`)",
    )
    source: str = ""
    available: bool = Field(
        default=True,
        description="Whether this server can run the model: hosted (fal) models need a fal.ai "
        "key on the server; local models always can",
    )


class GenerationTypeInfo(BaseModel):
    """A generation type as the studio presents it: what goes in and what comes out."""

    model_config = ConfigDict(frozen=True)

    id: GenerationType
    label: str
    inputs: list[MediaType]
    output: MediaType


class ModelPage(BaseModel):
    items: list[ModelInfo]
    total: int


class UnavailableFamily(BaseModel):
    """A family of models people look for that the studio cannot offer (fal.ai does not serve
    it), why, and the catalog's models that stand in for it."""

    family: str
    provider: str
    reason: str
    stand_ins: list[str]
    """Model ids of the catalog, the closest first."""


class UnavailableFamilyList(BaseModel):
    items: list[UnavailableFamily]


class ValidateParamsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: GenerationType
    params: dict[str, Any] = Field(default_factory=dict)


class ValidateParamsResponse(BaseModel):
    model_id: str
    type: GenerationType
    runtime: Literal["fal", "local"]
    output: MediaType
    params: dict[str, Any]
    """The parameters to send to the provider: the caller's, checked, with defaults filled in."""
    media_params: dict[str, ParamSpec]
    """The model's file inputs, bound by the generation service from the input assets."""
    accepted: list[str] = Field(default_factory=list)
    """Every non-file parameter the model takes (e.g. to know whether it takes a `seed`)."""
    seed_range: tuple[int, int] | None = None
    """Where a random seed is drawn from (lowest, highest; never negative) when the model takes
    a `seed`: a generation without one is given a seed in this range. It stops at 2^31 - 1,
    which every provider takes, even where the model's own maximum (the bound `params.seed`
    is checked against when a seed is given) is higher."""
