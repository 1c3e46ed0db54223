"""Deterministic randomness and colours for the offline renderers.

Every local render draws its choices from a `random.Random` seeded with a SHA-256 of the job's
model, prompt, seed and variation: the same request gives the same bytes on every run (CPython's
Mersenne Twister and its seeding from an int are stable across versions), while any change in
the prompt or seed gives a different result. Colour words in the prompt ("a red fox") pick the
palette's hue, so the output visibly follows the prompt.
"""

import colorsys
import hashlib
import json
import random
import re

RGB = tuple[int, int, int]

_COLOUR_HUES = {
    "red": 0.0,
    "crimson": 0.97,
    "orange": 0.07,
    "amber": 0.1,
    "gold": 0.12,
    "golden": 0.12,
    "yellow": 0.15,
    "lime": 0.24,
    "green": 0.33,
    "forest": 0.36,
    "teal": 0.47,
    "cyan": 0.5,
    "turquoise": 0.48,
    "blue": 0.6,
    "ocean": 0.57,
    "navy": 0.64,
    "indigo": 0.7,
    "purple": 0.77,
    "violet": 0.8,
    "magenta": 0.85,
    "pink": 0.92,
    "rose": 0.95,
}
_WORD = re.compile(r"[a-z]+")


def rng_for(*parts: object) -> random.Random:
    """A random generator that depends on `parts` only (JSON-encoded, then hashed)."""
    key = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))


def prompt_hue(prompt: str) -> float | None:
    """The hue (0..1) of the first colour word in the prompt, if it names one."""
    for word in _WORD.findall(prompt.lower()):
        if word in _COLOUR_HUES:
            return _COLOUR_HUES[word]
    return None


def hls(hue: float, lightness: float, saturation: float) -> RGB:
    r, g, b = colorsys.hls_to_rgb(hue % 1.0, _unit(lightness), _unit(saturation))
    return (round(r * 255), round(g * 255), round(b * 255))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """`a` moved a fraction `t` of the way to `b`."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def base_hue(prompt: str, rng: random.Random) -> float:
    """The prompt's colour word if it has one, else a hue drawn from `rng`.

    A draw is made either way so the rest of the sequence does not depend on the prompt's words.
    """
    drawn = rng.random()
    named = prompt_hue(prompt)
    return drawn if named is None else named


def tint_pair(prompt: str, seed: int) -> tuple[RGB, RGB]:
    """A dark and a light colour of the prompt's hue, for duotone re-tints and 3D tints."""
    rng = rng_for("tint", prompt, seed)
    hue = base_hue(prompt, rng)
    saturation = 0.45 + 0.4 * rng.random()
    return hls(hue, 0.16, saturation), hls(hue + 0.04, 0.82, saturation)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))
