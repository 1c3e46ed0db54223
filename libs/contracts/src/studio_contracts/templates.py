"""Templates: a generation's settings (type, model, prompt, parameters) kept to start from again.

Starter templates ship with the catalog and are the same for everyone; user templates are a
user's own, kept by the projects service. As with projects, the owner is not in `Template`: a
caller only ever sees their own.
"""

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from studio_contracts.catalog import ModelId
from studio_contracts.dtos import PartialUpdate
from studio_contracts.enums import GenerationType
from studio_contracts.generations import prompt_from_params
from studio_contracts.text import LongText, SingleLine

NAME_MAX = 100
DESCRIPTION_MAX = 1000
PROMPT_MAX = 10_000
PARAMS_MAX_BYTES = 16 * 1024
"""The largest `params` object, serialised as compact JSON (UTF-8)."""
ID_PATTERN = r"^[0-9a-f]{24}$"
"""A record id (`studio_runtime.ids`): 24 hex characters, nothing that could become a path."""
STARTER_ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"

TemplateName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX), SingleLine
]
"""1 to 100 characters once surrounding whitespace is trimmed (the trimmed name is stored)."""
TemplateDescription = Annotated[str, Field(max_length=DESCRIPTION_MAX), LongText]
Prompt = Annotated[str, Field(max_length=PROMPT_MAX), LongText]


def params_size(params: dict[str, Any]) -> int:
    return len(json.dumps(params, separators=(",", ":"), ensure_ascii=False).encode())


def _fits(params: dict[str, Any]) -> dict[str, Any]:
    if params_size(params) > PARAMS_MAX_BYTES:
        raise PydanticCustomError(
            "params_too_large",
            "params take at most {limit} bytes as JSON",
            {"limit": PARAMS_MAX_BYTES},
        )
    return params


Params = Annotated[
    dict[str, Any],
    AfterValidator(_fits),
    Field(description=f"The model's parameters; at most {PARAMS_MAX_BYTES} bytes as JSON"),
]


class StarterTemplate(BaseModel):
    """A ready-made starting point shipped with the catalog."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(max_length=64, pattern=STARTER_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
    description: TemplateDescription
    type: GenerationType
    model_id: ModelId
    prompt: Prompt
    params: Params
    available: bool = Field(
        default=True, description="Whether this server can run the starter's model"
    )


class TemplateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: TemplateName
    description: TemplateDescription = ""
    type: GenerationType
    model_id: ModelId
    prompt: Prompt = ""
    params: Params = Field(default_factory=dict)
    source_generation_id: (
        Annotated[str, Field(pattern=ID_PATTERN, description="The generation it was saved from")]
        | None
    ) = None

    @model_validator(mode="before")
    @classmethod
    def _prompt_in_params(cls, data: Any) -> Any:
        # Kept once, as the template's prompt: in `params` too, it would show twice.
        return prompt_from_params(data, keep_in_params=False)


class TemplateUpdate(PartialUpdate):
    """The type and model stay: a template for another model is a new template."""

    name: TemplateName | None = None
    description: TemplateDescription | None = None
    prompt: Prompt | None = None
    params: Params | None = None


class Template(BaseModel):
    id: str
    name: str
    description: str
    type: GenerationType
    model_id: str
    prompt: str
    params: dict[str, Any]
    source_generation_id: str | None = None
    created_at: datetime
    updated_at: datetime
