"""Audio: a WAV of a short melody, played with a soft bell-like tone.

Pure Python (`math`, `array`, `wave`): about 0.1 s of CPU for 10 s of sound, fine in a thread.
"""

import io
import math
import random
import sys
import wave
from array import array

RATE = 22050
"""Samples a second: plenty for tones, and half the size of 44.1 kHz."""

_PENTATONIC = (0, 2, 4, 7, 9, 12, 14, 16)
"""Semitones above the root: any sequence of these sounds pleasant."""


def render_melody(rng: random.Random, seconds: int) -> bytes:
    """A mono 16-bit WAV of `seconds` seconds: notes drawn from a pentatonic scale."""
    total = seconds * RATE
    root = 196.0 * 2 ** (rng.randrange(12) / 12)
    beat = 60 / rng.uniform(90, 150)
    samples = array("h")
    while len(samples) < total:
        length = min(total - len(samples), round(RATE * beat * rng.choice((0.5, 1, 1, 2))))
        if rng.random() < 0.12:
            samples.extend([0] * length)
            continue
        frequency = root * 2 ** (rng.choice(_PENTATONIC) / 12)
        samples.extend(_note(frequency, length, loudness=rng.uniform(0.35, 0.55)))
    if sys.byteorder == "big":
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.tobytes())
    return out.getvalue()


def _note(frequency: float, length: int, *, loudness: float) -> list[int]:
    """A tone with a second harmonic, a 10 ms attack, exponential decay and a 20 ms release."""
    step = 2 * math.pi * frequency / RATE
    attack, release = RATE // 100, RATE // 50
    decay = 3.0 / max(1, length)
    peak = 32767 * loudness / 1.3
    sin, exp = math.sin, math.exp
    return [
        round(
            peak
            * min(1.0, i / attack, (length - i) / release)
            * exp(-decay * i)
            * (sin(step * i) + 0.3 * sin(2 * step * i))
        )
        for i in range(length)
    ]
