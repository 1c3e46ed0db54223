"""Dimensions and duration of an uploaded video or audio file, read from its container headers
by hachoir (pure Python: no ffmpeg on the machine is needed). Best effort: a file whose headers
cannot be read is still stored, just without these facts."""

import os
from dataclasses import dataclass
from typing import IO

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class MediaFacts:
    width: int | None
    height: int | None
    duration: float | None
    """Seconds."""


def probe_media(source: IO[bytes]) -> MediaFacts | None:
    """Facts from the file's headers, or None if they cannot be read. Blocking: call it in a
    thread."""
    # Imported on first use: loading every hachoir parser takes ~0.3 s, which every start of
    # the service would otherwise pay.
    from hachoir.core import config as hachoir_config
    from hachoir.metadata import extractMetadata
    from hachoir.parser import guessParser
    from hachoir.stream import InputIOStream

    hachoir_config.quiet = True  # it would print parser warnings to stderr
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    if size <= 0:
        return None
    try:
        parser = guessParser(InputIOStream(source, size * 8, tags=[]))
        if parser is None:
            return None
        with parser:
            metadata = extractMetadata(parser)
    except Exception as exc:  # a hostile or broken header must not fail the upload
        log.info("media.probe_failed", error=f"{type(exc).__name__}: {exc}"[:200])
        return None
    if metadata is None:
        return None
    duration = metadata.get("duration") if metadata.has("duration") else None
    facts = MediaFacts(
        width=_positive(metadata.get("width")) if metadata.has("width") else None,
        height=_positive(metadata.get("height")) if metadata.has("height") else None,
        duration=round(duration.total_seconds(), 3) if duration is not None else None,
    )
    return (
        facts if any(v is not None for v in (facts.width, facts.height, facts.duration)) else None
    )


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and value > 0 else None
