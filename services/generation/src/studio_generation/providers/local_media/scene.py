"""The picture the offline renderers draw: a layered landscape (sky, sun or moon, ridges).

It is recognisable at a glance, cheap to draw with Pillow (one gradient and a few polygons), and
has depth, so the video renderer can pan across it with parallax. A scene is described in
coordinates relative to the picture's size, then drawn at any size and any pan offset.
"""

import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from studio_generation.providers.local_media.seeding import RGB, hls, mix

Point = tuple[float, float]


@dataclass(frozen=True)
class Ridge:
    colour: RGB
    points: tuple[Point, ...]
    """(x, y) as fractions of the width and height; x runs over [0, span] so the ridge can pan."""
    speed: float
    """How far it moves per unit of pan: near ridges move more (parallax)."""


@dataclass(frozen=True)
class Scene:
    sky_top: RGB
    sky_horizon: RGB
    sun: tuple[float, float, float]
    """Centre x, y (fractions of width, height) and radius (fraction of the shorter side)."""
    sun_colour: RGB
    stars: tuple[Point, ...]
    ridges: tuple[Ridge, ...]
    span: float


def make_scene(
    rng: random.Random, hue: float, *, detail: int, vivid: float = 1.0, span: float = 1.0
) -> Scene:
    """A scene drawn from `rng` around `hue`; `detail` is the number of peaks per ridge."""
    mood = rng.choice(("day", "sunset", "night"))
    sky_hue = hue + rng.uniform(-0.08, 0.08)
    if mood == "day":
        top, horizon = hls(sky_hue + 0.5, 0.55, 0.6 * vivid), hls(sky_hue + 0.5, 0.86, 0.5 * vivid)
        sun_colour, ridge_light = hls(hue + 0.1, 0.92, 0.9 * vivid), (0.62, 0.22)
    elif mood == "sunset":
        top, horizon = hls(sky_hue + 0.6, 0.28, 0.55 * vivid), hls(hue, 0.66, 0.9 * vivid)
        sun_colour, ridge_light = hls(hue + 0.05, 0.82, 1.0 * vivid), (0.4, 0.1)
    else:
        top, horizon = hls(sky_hue + 0.6, 0.07, 0.5 * vivid), hls(hue, 0.3, 0.5 * vivid)
        sun_colour, ridge_light = hls(hue, 0.9, 0.35 * vivid), (0.26, 0.06)
    sun = (rng.uniform(0.15, 0.85), rng.uniform(0.16, 0.4), rng.uniform(0.06, 0.12))
    star_count = 40 if mood == "night" else 0
    stars = tuple((rng.uniform(0, span), rng.uniform(0, 0.5)) for _ in range(star_count))
    layers = rng.randint(3, 5)
    ridges = []
    for k in range(layers):
        depth = k / (layers - 1)
        lightness = ridge_light[0] + (ridge_light[1] - ridge_light[0]) * depth
        colour = hls(hue + rng.uniform(-0.05, 0.05), lightness, rng.uniform(0.3, 0.7) * vivid)
        colour = mix(colour, horizon, 0.55 * (1 - depth))
        base = 0.56 + 0.32 * depth + rng.uniform(-0.03, 0.03)
        amplitude = 0.03 + 0.07 * (1 - depth)
        count = max(2, round(detail * span)) + 1
        y = base - rng.uniform(0, amplitude)
        points = []
        for i in range(count + 1):
            y = min(base, max(base - 2 * amplitude, y + rng.uniform(-amplitude, amplitude)))
            points.append((span * i / count, y))
        ridges.append(Ridge(colour=colour, points=tuple(points), speed=0.3 + 0.7 * depth))
    return Scene(top, horizon, sun, sun_colour, stars, tuple(ridges), span)


def sky(scene: Scene, size: tuple[int, int]) -> Image.Image:
    """The sky gradient alone: one column of colours, widened without interpolation (a vertical
    gradient is the same in every column), several times cheaper than scaling a square."""
    height = size[1]
    rows = (mix(scene.sky_top, scene.sky_horizon, y / max(1, height - 1)) for y in range(height))
    column = Image.frombytes("RGB", (1, height), bytes(c for row in rows for c in row))
    return column.resize(size, Image.Resampling.NEAREST)


def draw_scene(
    scene: Scene,
    size: tuple[int, int],
    *,
    pan: float = 0.0,
    rise: float = 0.0,
    background: Image.Image | None = None,
) -> Image.Image:
    """The scene at `size`, moved `pan` (a fraction of the width) and its sun risen by `rise`.

    `background` is a ready sky (see `sky`) when drawing many frames of one scene.
    """
    width, height = size
    image = background.copy() if background is not None else sky(scene, size)
    draw = ImageDraw.Draw(image)
    dot = max(1.0, width / 400)
    for sx, sy in scene.stars:
        x = (sx - pan * 0.1) * width
        draw.ellipse((x - dot, sy * height - dot, x + dot, sy * height + dot), fill=(250, 250, 240))
    cx, cy, radius = scene.sun
    cx, cy = (cx - pan * 0.1) * width, (cy - rise) * height
    radius *= min(width, height)
    behind = mix(scene.sky_top, scene.sky_horizon, min(1.0, max(0.0, cy / height)))
    for ring in range(4, 0, -1):
        r = radius * (1 + 0.3 * ring)
        colour = mix(behind, scene.sun_colour, 0.5 / (ring + 1))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=scene.sun_colour)
    for ridge in scene.ridges:
        shift = pan * ridge.speed
        outline = [((x - shift) * width, y * height) for x, y in ridge.points]
        draw.polygon(
            [*outline, (outline[-1][0], height), (outline[0][0], height)], fill=ridge.colour
        )
    return image
