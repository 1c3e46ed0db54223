"""The rule every request for one of a user's records follows: a record of anyone else, an
unknown id and a malformed id all get the same 404, so an answer never confirms that a record
exists. Projects and templates both find their records through it."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from studio_runtime.errors import NotFound, not_yours
from studio_runtime.ids import is_id

T = TypeVar("T")


async def find_owned(kind: str, record_id: str, action: Callable[[str], Awaitable[T | None]]) -> T:
    """What `action` returns for the record (a read, an update, a removal that acts only on the
    caller's own records), or NotFound when it finds none; a malformed id reaches no query."""
    found = await action(record_id) if is_id(record_id) else None
    if found is None:
        raise not_found(kind, record_id)
    return found


def not_found(kind: str, record_id: str) -> NotFound:
    return not_yours(kind, record_id)
