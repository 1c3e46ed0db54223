"""The assets service's public shapes."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    field_validator,
)

from studio_contracts.dtos import PartialUpdate
from studio_contracts.enums import MediaType
from studio_contracts.events import OutputFile
from studio_contracts.text import SingleLine


class AssetKind(StrEnum):
    UPLOAD = "upload"
    OUTPUT = "output"


Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), SingleLine
]


class Asset(BaseModel):
    """A stored file as its owner sees it. Bytes are at `content_url`, a preview (images and
    videos) at `thumbnail_url`; a sound's shape is `waveform`."""

    id: str
    project_id: str
    kind: AssetKind
    media_type: MediaType
    content_type: str
    size: int
    sha256: str
    name: str
    original_filename: str | None = None
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    waveform: list[int] | None = Field(
        default=None,
        description="A sound's loudness: the peak of each of 64 equal stretches, 0 to 100 percent "
        "of full scale, for drawing it as bars. Absent for other media, or when it could not be "
        "decoded.",
    )
    generation_id: str | None = None
    output_index: int | None = None
    prompt: str | None = None
    tags: list[str] = Field(default_factory=list)
    favorite: bool = False
    created_at: datetime
    content_url: str
    thumbnail_url: str | None = None


class AssetUpdate(PartialUpdate):
    name: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), SingleLine
        ]
        | None
    ) = None
    tags: Annotated[list[Tag], Field(max_length=32)] | None = None
    favorite: StrictBool | None = None

    @field_validator("tags")
    @classmethod
    def _unique_tags(cls, tags: list[str] | None) -> list[str] | None:
        """Each tag once, compared without regard to case ("Fox" and "fox" are one tag); the
        first spelling is kept, in the order given."""
        if tags is None:
            return None
        seen: set[str] = set()
        unique: list[str] = []
        for tag in tags:
            key = tag.casefold()
            if key not in seen:
                seen.add(key)
                unique.append(tag)
        return unique


class OutputsRegistration(BaseModel):
    """The worker's request to the assets service to register a generation's outputs, made
    before the generation is completed: once it is, every output is already served."""

    model_config = ConfigDict(extra="forbid")

    generation_id: Annotated[str, Field(min_length=1, max_length=64)]
    project_id: Annotated[str, Field(min_length=1, max_length=64)]
    prompt: Annotated[str, Field(max_length=10_000)] = ""
    made_from: Annotated[str, Field(max_length=600)] = ""
    """What a generation without a prompt (background removal, an upscale) was made from, for
    its outputs' names: its first input's name and the model's short name ("cat birefnet").
    Empty when the prompt names the outputs, or there is no input to name them by."""
    outputs: Annotated[list[OutputFile], Field(min_length=1, max_length=64)]


class RegisteredOutputs(BaseModel):
    assets: list[Asset]
