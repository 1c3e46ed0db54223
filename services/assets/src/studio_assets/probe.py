"""Dimensions, duration and codec of an uploaded video or audio file, read by FFmpeg's
demuxers through PyAV (bundled in its wheel: nothing to install on the machine). Best effort: a
file whose headers cannot be read is still stored, just without these facts."""

import os
from dataclasses import dataclass
from typing import IO

import av
import av.error
import structlog

from studio_assets import media

log = structlog.get_logger(__name__)

DEMUXERS = {
    media.MP4: "mov",
    media.MOV: "mov",
    media.M4A: "mov",
    media.WEBM: "matroska",
    media.WAV: "wav",
    media.MP3: "mp3",
    media.OGG: "ogg",
    media.FLAC: "flac",
}
"""The one demuxer each sniffed type is read with. Naming it, rather than letting FFmpeg guess,
keeps demuxers that open other files or URLs (playlists, concat lists) out of reach."""

PROBE_OPTIONS = {"probesize": str(5 * 1024 * 1024), "analyzeduration": str(5_000_000)}
"""Bounds on how much of a file the demuxer reads to find its streams (bytes, microseconds)."""


@dataclass(frozen=True)
class MediaFacts:
    width: int | None
    height: int | None
    duration: float | None
    """Seconds."""
    codec: str | None = None
    """FFmpeg's name for the first video stream's codec (else the first audio stream's)."""


def probe_media(source: IO[bytes]) -> MediaFacts | None:
    """Facts from the file's headers, or None if they cannot be read. Blocking: call it in a
    thread."""
    demuxer = demuxer_for(source)
    if demuxer is None:
        return None
    try:
        with av.open(source, mode="r", format=demuxer, options=PROBE_OPTIONS) as container:
            facts = _facts(container)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        # A hostile or broken header must not fail the upload.
        log.info("media.probe_failed", error=f"{type(exc).__name__}: {exc}"[:200])
        return None
    finally:
        source.seek(0)
    return (
        facts if any(v is not None for v in (facts.width, facts.height, facts.duration)) else None
    )


def demuxer_for(source: IO[bytes]) -> str | None:
    """The demuxer for the file's sniffed type; None for an empty file or another type. Leaves
    the file at its start."""
    size = source.seek(0, os.SEEK_END)
    source.seek(0)
    if size <= 0:
        return None
    file_type = media.sniff(source.read(media.SNIFF_BYTES))
    source.seek(0)
    return DEMUXERS.get(file_type) if file_type is not None else None


def _facts(container: av.container.InputContainer) -> MediaFacts:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    main = video or audio
    duration: float | None = None
    if main is not None and main.duration is not None and main.time_base is not None:
        duration = float(main.duration * main.time_base)
    elif container.duration is not None:
        duration = container.duration / av.time_base
    return MediaFacts(
        width=_positive(video.codec_context.width) if video else None,
        height=_positive(video.codec_context.height) if video else None,
        duration=round(duration, 3) if duration is not None and duration > 0 else None,
        codec=main.codec_context.name if main is not None else None,
    )


def _positive(value: int) -> int | None:
    return value if value > 0 else None
