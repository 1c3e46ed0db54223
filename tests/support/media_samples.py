"""Small real media files made on the fly for upload tests."""

import io

from PIL import Image

from tests.fakes import media


def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def noisy_png(width: int, height: int) -> bytes:
    """A PNG that does not compress (random pixels), for size-limit tests."""
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, format="PNG")
    return out.getvalue()


def wav(seconds: float = 0.5, rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV of silence (the fake fal server's own sample)."""
    return media.wav(seconds, rate)


def tone_wav(loudness: list[float], seconds_each: float = 0.5) -> bytes:
    """A mono WAV of a tone, one stretch of `seconds_each` per loudness (0-1): a sound with a shape."""
    return media.tone_wav(loudness, seconds_each)


def mp4(width: int = 160, height: int = 96, frames: int = 15, fps: int = 10) -> bytes:
    """A real H.264 MP4 (the offline provider's encoder): `frames / fps` seconds long."""
    from studio_generation.providers.local_media.video import encode_clip

    pictures = (Image.new("RGB", (width, height), (i * 15 % 256, 90, 160)) for i in range(frames))
    return encode_clip(pictures, (width, height), fps).data
