"""Record ids: 24 hex characters that sort by creation time (like a MongoDB ObjectId).

Layout: 12 hex digits of creation time in milliseconds, 6 of a per-process random value, 6 of a
per-process counter. Ids made by one process therefore sort in the order they were made, even
within one millisecond, so "newest first" is a sort on `_id` and a page cursor is simply the last
id seen.
"""

import itertools
import re
import secrets
import time

ID_PATTERN = r"^[0-9a-f]{24}$"
_ID = re.compile(ID_PATTERN)
_PROCESS = secrets.token_hex(3)
_COUNTER = itertools.count(secrets.randbelow(1 << 20))


def new_id() -> str:
    return f"{time.time_ns() // 1_000_000:012x}{_PROCESS}{next(_COUNTER) & 0xFFFFFF:06x}"


def is_id(value: str) -> bool:
    return bool(_ID.match(value))
