"""The projects service's public shapes: what callers send and what they get back.

The owner is deliberately absent from `Project`: a caller only ever sees their own projects, so
the field would say nothing, and leaving it out keeps user ids out of every response.
"""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

NAME_MAX = 120
DESCRIPTION_MAX = 2000

ProjectName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX)
]
"""1 to 120 characters once surrounding whitespace is trimmed (the trimmed name is stored)."""

ProjectDescription = Annotated[str, Field(max_length=DESCRIPTION_MAX)]


class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ProjectName
    description: ProjectDescription = ""


class ProjectUpdate(BaseModel):
    """A partial update: only the fields present change. `null` is refused rather than guessed
    at (it could mean "no change" or "clear"), so a client bug shows up as a 422."""

    model_config = ConfigDict(extra="forbid")

    name: ProjectName | None = None
    description: ProjectDescription | None = None

    @field_validator("name", "description", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep it unchanged")
        return value

    def changes(self) -> dict[str, str]:
        """The fields the caller sent, with their new values."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


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
