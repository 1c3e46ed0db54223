"""Cursor pagination over time-ordered ids, newest first.

A page asks for `limit + 1` records: the extra one only says whether there is a next page, whose
cursor is the id of the page's last record. Records come from an index on (scope, `sort_id`), the
`_id` again (`studio_runtime.newest_first`).
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from studio_contracts.problems import FieldError

from studio_runtime.errors import InvalidInput
from studio_runtime.ids import is_id
from studio_runtime.newest_first import SORT_ID

T = TypeVar("T")
_NOT_A_CURSOR = "Not a cursor this API gave out."


def cursor_filter(cursor: str | None, field: str = SORT_ID) -> dict[str, Any]:
    """The condition on `field` (the id, as `sort_id` or as `_id` itself) that starts a page
    after `cursor` (a 422 for a malformed one)."""
    if cursor is None:
        return {}
    if not is_id(cursor):
        raise InvalidInput(
            "cursor is not one this API gave out",
            errors=[FieldError(loc=["query", "cursor"], msg=_NOT_A_CURSOR, type="cursor")],
        )
    return {field: {"$lt": cursor}}


def split_page(records: Sequence[T], limit: int, id_of: Any) -> tuple[list[T], str | None]:
    """(the page, the next cursor or None) from up to `limit + 1` fetched records."""
    page = list(records[:limit])
    next_cursor = id_of(page[-1]) if len(records) > limit and page else None
    return page, next_cursor
