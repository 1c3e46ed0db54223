"""Tiny but real media files the fakes serve as model outputs: each starts with the right magic
bytes, so code that sniffs or decodes what it downloads sees what a real provider would send."""

import io
import json
import math
import struct
from functools import lru_cache

from PIL import Image


@lru_cache(maxsize=32)
def png(width: int = 64, height: int = 48, colour: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=1)
def mp4() -> bytes:
    """An ISO-BMFF `ftyp` box followed by an empty `mdat`: enough for type sniffing."""
    ftyp_payload = b"isom" + struct.pack(">I", 512) + b"isomiso2avc1mp41"
    ftyp = struct.pack(">I", 8 + len(ftyp_payload)) + b"ftyp" + ftyp_payload
    mdat = struct.pack(">I", 8 + 16) + b"mdat" + bytes(16)
    return ftyp + mdat


@lru_cache(maxsize=4)
def wav(seconds: float = 0.25, rate: int = 8000) -> bytes:
    """A valid mono 16-bit PCM WAV of silence."""
    return pcm_wav(b"\x00\x00" * int(seconds * rate), rate)


def tone_wav(loudness: list[float], seconds_each: float = 0.5, rate: int = 8000) -> bytes:
    """A mono WAV of a 440 Hz tone, one stretch of `seconds_each` per loudness (0-1)."""
    samples = [
        round(level * 32767 * math.sin(2 * math.pi * 440 * i / rate))
        for level in loudness
        for i in range(int(seconds_each * rate))
    ]
    return pcm_wav(struct.pack(f"<{len(samples)}h", *samples), rate)


def pcm_wav(data: bytes, rate: int) -> bytes:
    header = (
        b"RIFF"
        + struct.pack("<I", 36 + len(data))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    )
    return header + b"data" + struct.pack("<I", len(data)) + data


@lru_cache(maxsize=1)
def glb() -> bytes:
    """A binary glTF 2.0 container holding an empty scene (header + JSON chunk)."""
    doc = json.dumps({"asset": {"version": "2.0"}, "scenes": [{"nodes": []}], "scene": 0})
    chunk = doc.encode()
    chunk += b" " * (-len(chunk) % 4)  # chunks are 4-byte aligned, JSON padded with spaces
    body = struct.pack("<I", len(chunk)) + b"JSON" + chunk
    return b"glTF" + struct.pack("<II", 2, 12 + len(body)) + body


CONTENT_TYPES = {
    "png": "image/png",
    "mp4": "video/mp4",
    "wav": "audio/wav",
    "glb": "model/gltf-binary",
}
