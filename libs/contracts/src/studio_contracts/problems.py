"""The error body every service and the gateway answer with: RFC 9457 problem details."""

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

PROBLEM_CONTENT_TYPE = "application/problem+json"


class FieldError(BaseModel):
    """One bad input: where it is (`loc`, e.g. `["query", "limit"]`), what is wrong, a stable code."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)

    def to_body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


def summarise(parts: Iterable[str]) -> str:
    """Field errors' `loc: msg` parts as one detail, `; ` between them. Each message is a
    sentence; its full stop is left out but for the last, or it would run into the `; `
    (`…image-to-3d.; body.model_id: …`)."""
    listed = list(parts)
    return "; ".join([part.removesuffix(".") for part in listed[:-1]] + listed[-1:])
