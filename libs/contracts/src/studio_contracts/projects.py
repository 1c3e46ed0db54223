"""The projects service's public shapes: what callers send and what they get back.

The owner is deliberately absent from `Project`: a caller only ever sees their own projects, so
the field would say nothing, and leaving it out keeps user ids out of every response.
"""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from studio_contracts.dtos import PartialUpdate
from studio_contracts.text import LongText, SingleLine

NAME_MAX = 120
DESCRIPTION_MAX = 2000

ProjectName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX), SingleLine
]
"""1 to 120 characters once surrounding whitespace is trimmed (the trimmed name is stored)."""

ProjectDescription = Annotated[str, Field(max_length=DESCRIPTION_MAX), LongText]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ProjectName
    description: ProjectDescription = ""


class ProjectUpdate(PartialUpdate):
    name: ProjectName | None = None
    description: ProjectDescription | None = None


class Project(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    generation_count: int = 0
    asset_count: int = 0
    last_activity_at: datetime | None = None
    """When the latest generation was requested or asset created; None until either happens."""
    cover_asset_id: str | None = None
    """The newest image output of the project that has not been deleted, if any."""
