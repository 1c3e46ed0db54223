"""A video's poster is its first frame; anything else has none, and nothing fails."""

import io

from PIL import Image
from studio_assets.posters import video_poster

from tests.support import media_samples

LIMITS = {"max_pixels": 10_000_000, "max_px": 64}


def test_a_videos_first_frame_is_its_poster() -> None:
    source = io.BytesIO(media_samples.mp4(160, 96, frames=5))
    poster = video_poster(source, **LIMITS)
    assert poster is not None
    assert (poster.width, poster.height) == (160, 96)
    thumbnail = Image.open(io.BytesIO(poster.thumbnail))
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (64, 38)  # at most max_px on its longer side
    # The first frame's colour (frame i is (i * 15 % 256, 90, 160); the encoder rounds).
    red, green, blue = thumbnail.convert("RGB").getpixel((32, 19))  # type: ignore[misc]
    assert red < 20 and abs(green - 90) < 20 and abs(blue - 160) < 20
    assert source.tell() == 0, "left at its start for whoever reads it next"


def test_what_has_no_picture_has_no_poster() -> None:
    assert video_poster(io.BytesIO(media_samples.wav(0.5)), **LIMITS) is None
    assert video_poster(io.BytesIO(media_samples.png(32, 32)), **LIMITS) is None
    assert video_poster(io.BytesIO(b""), **LIMITS) is None
    broken = b"\x00\x00\x00\x18ftypisom" + bytes(2000)
    assert video_poster(io.BytesIO(broken), **LIMITS) is None


def test_a_picture_larger_than_an_image_may_be_is_not_decoded() -> None:
    source = io.BytesIO(media_samples.mp4(160, 96, frames=2))
    assert video_poster(source, max_pixels=160 * 96 - 1, max_px=64) is None
