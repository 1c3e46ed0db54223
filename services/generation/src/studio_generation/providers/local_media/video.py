"""Short videos: a panning landscape, a pan-and-zoom over an image, a re-tint of a clip.

Every clip is H.264 (I_PCM, see `h264`) in a fast-start MP4, small (at most 256 pixels a side)
and at 10 frames a second, so it plays in any browser and stays around 0.5 MB a second.
"""

import random
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from PIL import Image, ImageOps

from studio_generation.providers.local_media import h264
from studio_generation.providers.local_media.images import retint
from studio_generation.providers.local_media.mp4 import (
    COMPRESSOR,
    Mp4Error,
    VideoTrack,
    avc1_entry,
    find_video_track,
    write_mp4,
)
from studio_generation.providers.local_media.scene import draw_scene, make_scene, sky
from studio_generation.providers.local_media.seeding import RGB

FPS = 10
SIZES: Mapping[str, tuple[int, int]] = {"16:9": (256, 144), "9:16": (144, 256), "1:1": (192, 192)}
"""Frame size per aspect ratio; H.264 wants multiples of 16."""

MAX_DECODED_PIXELS = 1280 * 720 * 100
"""Width x height x frames above which a source clip is not decoded (it is replaced instead)."""


@dataclass(frozen=True)
class Clip:
    data: bytes
    width: int
    height: int
    frames: int
    fps: int

    @property
    def seconds(self) -> float:
        return self.frames / self.fps


def text_to_video(rng: random.Random, hue: float, size: tuple[int, int], seconds: int) -> Clip:
    """A landscape the camera pans across (near ridges faster), its sun rising or setting."""
    return encode_clip(_landscape(rng, hue, size, seconds), size, FPS)


def image_to_video(
    source: Image.Image, rng: random.Random, size: tuple[int, int], seconds: int
) -> Clip:
    """Starts on the whole image (cropped to the aspect ratio), then zooms into a drawn point."""
    width, height = size
    base = ImageOps.fit(source, (2 * width, 2 * height), Image.Resampling.BICUBIC)
    zoom = rng.uniform(1.2, 1.5)
    margin = (1 - 1 / zoom) / 2
    target = (rng.uniform(0.5 - margin, 0.5 + margin), rng.uniform(0.5 - margin, 0.5 + margin))

    def frame(t: float) -> Image.Image:
        eased = t * t * (3 - 2 * t)
        scale = 1 + (zoom - 1) * eased
        cx = 0.5 + (target[0] - 0.5) * eased
        cy = 0.5 + (target[1] - 0.5) * eased
        half_w, half_h = base.width / scale / 2, base.height / scale / 2
        left = min(max(cx * base.width - half_w, 0.0), base.width - 2 * half_w)
        top = min(max(cy * base.height - half_h, 0.0), base.height - 2 * half_h)
        box = (left, top, left + 2 * half_w, top + 2 * half_h)
        return base.resize(size, Image.Resampling.BILINEAR, box=box)

    return encode_clip((frame(t) for t in _timeline(seconds * FPS)), size, FPS)


def video_to_video(
    data: bytes,
    rng: random.Random,
    hue: float,
    tint: tuple[RGB, RGB],
    strength: float,
) -> Clip:
    """The source re-tinted frame by frame when it is a clip the local provider made.

    Other videos (H.264 from a hosted model, WebM, ...) cannot be decoded without a codec
    library, so they get a new landscape clip of the source's aspect ratio and length (as far as
    the MP4 header tells; 16:9 and 2 s otherwise), tinted the same way.
    """
    dark, light = tint
    track = _track(data)
    if track is not None and _is_ours(track):
        try:
            frames = [_decode(data, track, index) for index in range(len(track.samples))]
        except ValueError:
            frames = []
        if frames:
            fps = max(1, round(track.fps))
            tinted = (retint(f, dark, light, strength) for f in frames)
            return encode_clip(tinted, (track.width, track.height), fps)
    size, seconds = SIZES["16:9"], 2
    if track is not None and track.width and track.height:
        ratio = track.width / track.height
        size = min(SIZES.values(), key=lambda s: abs(s[0] / s[1] - ratio))
        seconds = min(4, max(1, round(track.seconds)))
    fresh = _landscape(rng, hue, size, seconds)
    return encode_clip((retint(f, dark, light, strength) for f in fresh), size, FPS)


def encode_clip(frames: Iterable[Image.Image], size: tuple[int, int], fps: int) -> Clip:
    width, height = size
    samples = []
    for index, frame in enumerate(frames):
        nal = h264.encode(frame, index)
        samples.append(len(nal).to_bytes(4, "big") + nal)
    entry = avc1_entry(width, height, h264.sps(width, height), h264.pps())
    data = write_mp4(samples, width=width, height=height, fps=fps, sample_entry=entry)
    return Clip(data=data, width=width, height=height, frames=len(samples), fps=fps)


def decode_frames(data: bytes) -> list[Image.Image]:
    """The frames of a clip made here (ValueError for any other video)."""
    track = _require(data)
    return [_decode(data, track, index) for index in range(len(track.samples))]


def _landscape(
    rng: random.Random, hue: float, size: tuple[int, int], seconds: int
) -> Iterator[Image.Image]:
    pan = rng.uniform(0.6, 1.0)
    rise = rng.uniform(0.03, 0.1) * rng.choice((-1, 1))
    scene = make_scene(rng, hue, detail=10, span=1 + pan)
    background = sky(scene, size)
    for t in _timeline(seconds * FPS):
        yield draw_scene(scene, size, pan=pan * t, rise=rise * t, background=background)


def _timeline(count: int) -> Iterator[float]:
    """`count` moments from 0 to 1 inclusive."""
    return (i / max(1, count - 1) for i in range(count))


def _track(data: bytes) -> VideoTrack | None:
    try:
        return find_video_track(data)
    except Mp4Error:
        return None


def _require(data: bytes) -> VideoTrack:
    track = _track(data)
    if track is None or not _is_ours(track):
        raise ValueError("not a video made by the local provider")
    return track


def _is_ours(track: VideoTrack) -> bool:
    return (
        track.codec == b"avc1"
        and track.compressor == COMPRESSOR
        and track.width % 16 == 0
        and track.height % 16 == 0
        and 0 < track.width * track.height * len(track.samples) <= MAX_DECODED_PIXELS
    )


def _decode(data: bytes, track: VideoTrack, index: int) -> Image.Image:
    offset, size = track.samples[index]
    for nal in h264.nal_units(data[offset : offset + size]):
        if nal and nal[0] & 0x1F == 5:
            return h264.decode(nal, track.width, track.height)
    raise ValueError(f"frame {index} has no picture")
