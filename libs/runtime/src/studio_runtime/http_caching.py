"""Conditional requests and content codings, as every service answers them."""

import hashlib


def etag_of(body: bytes) -> str:
    """A strong entity tag for `body`: the same bytes, the same tag, in every process."""
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether `If-None-Match` names `etag` (weak comparison, RFC 9110 13.1.2: a `W/` tag the
    gateway made of it when it compressed the answer matches too), or is `*`."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag.removeprefix("W/") in tags


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an `Accept-Encoding` value admits gzip (`gzip` or `*`, unless with `q=0`)."""
    for item in (accept_encoding or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in {"gzip", "*"}:
            quality = params.strip().lower()
            return not (quality.startswith("q=") and _as_float(quality[2:]) == 0)
    return False


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
