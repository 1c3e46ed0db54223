"""Small real media files made on the fly for upload tests."""

import io
import struct

from PIL import Image


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
    frames = int(seconds * rate)
    data = b"\x00\x00" * frames
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    )
    return header + b"data" + struct.pack("<I", len(data)) + data


def mp4(width: int = 160, height: int = 96, frames: int = 15, fps: int = 10) -> bytes:
    """A real H.264 MP4 (the offline provider's encoder): `frames / fps` seconds long."""
    from studio_generation.providers.local_media.video import encode_clip

    pictures = (Image.new("RGB", (width, height), (i * 15 % 256, 90, 160)) for i in range(frames))
    return encode_clip(pictures, (width, height), fps).data
