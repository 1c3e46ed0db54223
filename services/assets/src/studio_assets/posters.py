"""A video's poster: its first frame as a WebP thumbnail, decoded by FFmpeg through PyAV with the
demuxer its sniffed type names (as `probe.py` reads its facts). Best effort: a video whose first
frame cannot be decoded (an unusual codec, a damaged file) is still stored, and shown with its
type's icon. Blocking: call it in a thread."""

from typing import IO

import av
import av.error
import structlog
from PIL import Image

from studio_assets.images import ImageFacts, thumbnail_webp
from studio_assets.probe import PROBE_OPTIONS, demuxer_for

log = structlog.get_logger(__name__)

MAX_PACKETS = 300
"""Packets read, at the most, for a first frame: a file whose first 300 give none has none worth
waiting for (a decoder fed garbage would otherwise read the whole file)."""


def video_poster(source: IO[bytes], *, max_pixels: int, max_px: int) -> ImageFacts | None:
    """The first frame's size and thumbnail, or None: not a video, no decodable frame, or a
    picture larger than an image may be."""
    demuxer = demuxer_for(source)
    if demuxer is None:
        return None
    try:
        with av.open(source, mode="r", format=demuxer, options=PROBE_OPTIONS) as container:
            if not container.streams.video:
                return None
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > max_pixels:
                log.info("media.poster_skipped", width=width, height=height)
                return None
            for count, packet in enumerate(container.demux(stream)):
                if count >= MAX_PACKETS:
                    break
                for frame in packet.decode():
                    image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
                    return ImageFacts(
                        width=image.width,
                        height=image.height,
                        thumbnail=thumbnail_webp(image, max_px),
                    )
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        log.info("media.poster_failed", error=f"{type(exc).__name__}: {exc}"[:200])
    finally:
        source.seek(0)
    return None
