"""Public data shapes that more than one service reads or writes."""

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, field_validator

T = TypeVar("T")


class PartialUpdate(BaseModel):
    """A partial update: only the fields present change. `null` is refused rather than guessed
    at (it could mean "no change" or "clear"), so a client bug shows up as a 422."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("Must not be null. Leave the field out to keep it unchanged.")
        return value

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent, with their new values."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class ErrorInfo(BaseModel):
    """Why something failed, in words a person understands, with a stable machine code."""

    code: str
    message: str


class CursorPage(BaseModel, Generic[T]):
    """A page of a newest-first list; pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    next_cursor: str | None = None
