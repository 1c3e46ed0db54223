"""Decoding images safely: size checked before decoding, corrupt files refused, thumbnails
made as WebP. Blocking work: call these from a worker thread.

A `BadImage` message goes to the client as is, so it speaks only of the file sent: Pillow's own
messages name our objects (`cannot identify image file <tempfile.SpooledTemporaryFile object
at 0x...>`); those go to the log instead."""

import io
import warnings
from dataclasses import dataclass
from typing import IO

import structlog
from PIL import Image, ImageOps, UnidentifiedImageError

log = structlog.get_logger(__name__)


class BadImage(ValueError):
    """The file is not a decodable image, or is too large to decode safely."""


@dataclass(frozen=True)
class ImageFacts:
    width: int
    height: int
    thumbnail: bytes
    """WebP, at most `max_px` on its longer side."""


def inspect_image(source: IO[bytes], *, max_pixels: int, max_px: int) -> ImageFacts:
    """Read an image's size and make its thumbnail, refusing bombs and broken files."""
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise BadImage(
                        f"The image is {width:,} \N{MULTIPLICATION SIGN} {height:,} pixels; at most {max_pixels:,} "
                        "are accepted."
                    )
                image.draft("RGB", (max_px, max_px))
                image.load()
                thumbnail = thumbnail_webp(image, max_px)
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        log.info("image.refused", reason=_reason(exc))
        raise BadImage(
            f"The image has too many pixels to decode safely; at most {max_pixels:,} are accepted."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        log.info("image.undecodable", reason=_reason(exc))
        raise BadImage(
            "The file could not be decoded as an image: it is damaged, truncated or incomplete."
        ) from exc
    return ImageFacts(width=width, height=height, thumbnail=thumbnail)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


def thumbnail_webp(image: Image.Image, max_px: int) -> bytes:
    """`image` made at most `max_px` on its longer side, as WebP."""
    frame = ImageOps.exif_transpose(image) or image
    if frame.mode not in ("RGB", "RGBA"):
        frame = frame.convert("RGBA" if "A" in frame.getbands() or frame.mode == "P" else "RGB")
    frame.thumbnail((max_px, max_px))
    out = io.BytesIO()
    # method 2, not the default 4: measured 6 ms instead of 18 ms for a 512 px thumbnail, for
    # ~12 % more bytes; every generated image gets one, so this is the assets service's main cost.
    frame.save(out, format="WEBP", quality=80, method=2)
    return out.getvalue()
