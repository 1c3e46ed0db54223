"""Public data shapes that more than one service reads or writes."""

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class ErrorInfo(BaseModel):
    """Why something failed, in words a person understands, with a stable machine code."""

    code: str
    message: str


class CursorPage(BaseModel, Generic[T]):
    """A page of a newest-first list; pass `next_cursor` back as `cursor` for the next page."""

    items: list[T]
    next_cursor: str | None = None
