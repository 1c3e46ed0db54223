"""Record ids: 24 hex characters that sort by creation time (like a MongoDB ObjectId).

The first 12 hex digits are the creation time in milliseconds, the rest random, so "newest
first" is a sort on `_id` and a page cursor is simply the last id seen.
"""

import re
import secrets
import time

ID_PATTERN = r"^[0-9a-f]{24}$"
_ID = re.compile(ID_PATTERN)


def new_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"


def is_id(value: str) -> bool:
    return bool(_ID.match(value))
