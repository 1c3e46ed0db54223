"""`Idempotency-Key`: the header's rules and words, one for every route that takes it (a
generation's request, a new project, a new template), as the IETF's Idempotency-Key draft has
them.

- A key is 1 to 200 printable characters; anything else is 422 `idempotency_key` at
  `header.idempotency-key` (`key_error`, `checked_key`).
- The same key from the same user with the same request answers what the first one made; with a
  different request it is a client's mistake, 422 `idempotency_key_reused` (`key_reused`); the
  request is told apart by a `fingerprint` of what it asked for.
- A repeat that arrives while the first request with its key is still being carried out, and
  does not end while the repeat waits, is 409 (`key_busy`): send it again in a moment.

How a service remembers its keys is its own: the generation service in a collection of keys
(docs/generation.md), the projects service on the record the key made (docs/projects.md). Both
remember a key `DEFAULT_TTL_S` (`STUDIO_IDEMPOTENCY_TTL_S`) unless told otherwise.
"""

import hashlib
from typing import Annotated

from fastapi import Header
from studio_contracts.problems import FieldError

from studio_runtime.errors import Conflict, InvalidInput

KEY_MAX_LENGTH = 200
DEFAULT_TTL_S = 24 * 3600
"""How long a key is remembered by default: a day, far beyond any retry of a lost answer."""

DESCRIPTION = (
    "Optional. A key of 1 to 200 printable characters, new for each action (a press, a "
    "command) and the same when that action is sent again: the same key with the same request "
    "within a day answers what the first one made instead of doing it twice; with a different "
    "request it is refused (422 `idempotency_key_reused`). Keys are each user's own."
)

IdempotencyKeyHeader = Annotated[str | None, Header(description=DESCRIPTION)]
"""A route's `idempotency_key` parameter (default None); check it with `checked_key`."""

_LOC = ["header", "idempotency-key"]


def key_error(key: str) -> InvalidInput | None:
    """The 422 for a malformed key, or None for a good one."""
    if 1 <= len(key) <= KEY_MAX_LENGTH and key.isprintable():
        return None
    return InvalidInput(
        f"Idempotency-Key must be 1 to {KEY_MAX_LENGTH} printable characters.",
        errors=[
            FieldError(
                loc=_LOC,
                msg=f"Use 1 to {KEY_MAX_LENGTH} printable characters.",
                type="idempotency_key",
            )
        ],
    )


def checked_key(key: str | None) -> str | None:
    """`key` as sent (None: none sent); InvalidInput if it is malformed."""
    if key is not None and (error := key_error(key)):
        raise error
    return key


def key_reused() -> InvalidInput:
    return InvalidInput(
        "This Idempotency-Key was used for a different request; send a new key with a new request.",
        errors=[
            FieldError(
                loc=_LOC,
                msg="This key was used for a different request; send a new one.",
                type="idempotency_key_reused",
            )
        ],
    )


def key_busy() -> Conflict:
    return Conflict(
        "The first request with this Idempotency-Key is still being accepted; send it again "
        "in a moment."
    )


def fingerprint(*parts: str) -> str:
    """What a request asked for (its target and body, as text), to tell a repeat (same key, same
    request) from a reuse (same key, another request)."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
