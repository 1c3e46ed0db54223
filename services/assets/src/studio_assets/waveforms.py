"""A sound's waveform: the loudest sample of each of `BARS` equal stretches of it, 0 to 100, for the
studio to draw as bars (in the theme's colours) where an image would show its thumbnail.

Decoded by FFmpeg through PyAV with the demuxer its sniffed type names (as `probe.py` reads its
facts), mixed to mono 16-bit at a low rate: peaks need no more. Best effort and bounded: a sound
that cannot be decoded has no waveform and is still stored; only its first `MAX_SECONDS` are
read. Blocking: call it in a thread."""

from array import array
from typing import IO

import av
import av.error
import structlog

from studio_assets.probe import PROBE_OPTIONS, demuxer_for

log = structlog.get_logger(__name__)

BARS = 64
RATE = 4000
"""Samples per second the sound is resampled to before its peaks are taken."""
MAX_SECONDS = 600
FULL_SCALE = 32768


def audio_waveform(source: IO[bytes]) -> list[int] | None:
    """`BARS` peaks, 0 to 100, or None: not a sound, nothing decodable, or silence throughout."""
    demuxer = demuxer_for(source)
    if demuxer is None:
        return None
    try:
        samples = _mono_samples(source, demuxer)
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        log.info("media.waveform_failed", error=f"{type(exc).__name__}: {exc}"[:200])
        return None
    finally:
        source.seek(0)
    return bars(samples)


def bars(samples: "array[int]") -> list[int] | None:
    """`samples` cut into `BARS` equal stretches, each given as its loudest sample in percent of
    full scale (at least 1 where there is any sound, so a quiet passage still shows)."""
    if len(samples) < BARS or (max(samples) == 0 and min(samples) == 0):
        return None
    result = []
    for bar in range(BARS):
        stretch = samples[bar * len(samples) // BARS : (bar + 1) * len(samples) // BARS]
        loudest = max(max(stretch), -min(stretch))
        result.append(0 if loudest == 0 else max(1, min(100, round(loudest * 100 / FULL_SCALE))))
    return result


def _mono_samples(source: IO[bytes], demuxer: str) -> "array[int]":
    samples = array("h")
    with av.open(source, mode="r", format=demuxer, options=PROBE_OPTIONS) as container:
        if not container.streams.audio:
            return samples
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        for frame in container.decode(container.streams.audio[0]):
            for mono in resampler.resample(frame):
                samples.frombytes(bytes(mono.planes[0])[: mono.samples * 2])
            if len(samples) >= MAX_SECONDS * RATE:
                break
    return samples
