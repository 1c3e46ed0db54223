"""Lists of one owner's records, newest first, a cursor page at a time: how both projects and
templates are listed (see `studio_runtime.pagination` for the cursor itself)."""

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from studio_contracts.dtos import CursorPage
from studio_runtime.newest_first import SORT_ID
from studio_runtime.pagination import cursor_filter, split_page

T = TypeVar("T")


async def newest_first(
    collection: AsyncCollection[dict[str, Any]],
    query: Mapping[str, Any],
    *,
    projection: Mapping[str, Any],
    to_model: Callable[[dict[str, Any]], T],
    cursor: str | None,
    limit: int,
) -> CursorPage[T]:
    """The page of records matching `query` that follows `cursor` (a 422 for a malformed one),
    at most `limit` of them, each turned into its model."""
    found = (
        collection.find({**query, **cursor_filter(cursor)}, projection)
        .sort(SORT_ID, DESCENDING)
        .limit(limit + 1)
    )
    docs = [doc async for doc in found]
    page, next_cursor = split_page(docs, limit, lambda doc: doc["_id"])
    return CursorPage[T](items=[to_model(doc) for doc in page], next_cursor=next_cursor)


def containing(search: str, fields: Sequence[str]) -> dict[str, Any]:
    """A filter for records where any of `fields` holds `search`: a literal, case-insensitive
    piece (regex characters in it are disarmed). The fields hold strings: on a list, nx-27017
    matches the pattern against the list's JSON text (use `$elemMatch` there)."""
    pattern = {"$regex": re.escape(search), "$options": "i"}
    return {"$or": [{field: pattern} for field in fields]}
