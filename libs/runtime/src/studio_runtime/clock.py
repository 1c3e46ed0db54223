"""The one time representation of stored records: integer milliseconds since the Unix epoch,
UTC. Integers compare, sort and index the same on MongoDB and on the embedded server (dates
and their time zones do not); the API turns them into ISO 8601 datetimes at the edge."""

import time
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def to_ms(moment: datetime) -> int:
    """A datetime as stored milliseconds (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    """Stored milliseconds as an aware UTC datetime, for the API."""
    return _EPOCH + timedelta(milliseconds=ms)
