"""Serving an asset's bytes over HTTP: Range (so videos seek in a browser), ETag and
conditional requests, inline or attachment disposition."""

import re
from dataclasses import dataclass
from urllib.parse import quote

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    pass


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int
    """Inclusive, as in Content-Range."""

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range asked for, or None to send the whole file.

    As RFC 9110 (14.2) has it: a header that is not a valid byte range (`bytes=abc`, an end
    before its start, another unit) is ignored, and several ranges in one request are answered
    with the whole file; a valid range that no byte of the file satisfies raises
    RangeNotSatisfiable (416)."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        suffix = int(last)
        if suffix == 0:
            return _unsatisfiable()
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return _unsatisfiable()
    end = min(int(last), size - 1) if last else size - 1
    return ByteRange(start, end)


def content_disposition(name: str, *, download: bool) -> str:
    kind = "attachment" if download else "inline"
    fallback = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:120] or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def etag_for(sha256: str) -> str:
    return f'"{sha256[:40]}"'


def if_range_matches(if_range: str | None, etag: str) -> bool:
    """Whether a Range request's `If-Range` lets the range be sent (RFC 9110 13.1.5): it is
    absent, or it is the current ETag by strong comparison. Otherwise the client holds part of
    other bytes, and must get the whole file: a weak tag never matches, nor does a date, as
    no Last-Modified is sent to compare one with."""
    return if_range is None or if_range.strip() == etag


def _unsatisfiable() -> ByteRange:
    raise RangeNotSatisfiable
