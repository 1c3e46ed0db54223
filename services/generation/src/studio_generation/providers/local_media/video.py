"""Short videos: a panning landscape, a pan-and-zoom over an image, a re-graded clip.

Clips are encoded and decoded by FFmpeg through PyAV. Every clip is VP9 (libvpx, BSD-licensed,
realtime speed) in a fast-start MP4, small (at most 256 pixels a side) and at 10 frames a
second: a few kilobytes a second, which Chromium, Chrome, Edge and Firefox play. Any video
FFmpeg can decode (H.264, HEVC, VP8/VP9, AV1, ...) in MP4, MOV or WebM can be the source
of video-to-video.
"""

import io
import itertools
import math
import random
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Final

import av
import av.error
import structlog
from PIL import Image, ImageOps

from studio_generation.providers.local_media import BadInput
from studio_generation.providers.local_media.images import retint
from studio_generation.providers.local_media.scene import draw_scene, make_scene, sky
from studio_generation.providers.local_media.seeding import RGB, hls

log = structlog.get_logger(__name__)

FPS = 10
SIZES: Mapping[str, tuple[int, int]] = {"16:9": (256, 144), "9:16": (144, 256), "1:1": (192, 192)}
"""Frame size per aspect ratio (even sides, as 4:2:0 chroma wants)."""

CODEC: Final = "libvpx-vp9"
_ENCODER_OPTIONS = {
    # Realtime mode at its fastest setting: a 2 s clip encodes in tens of milliseconds.
    "deadline": "realtime",
    "cpu-used": "8",
    # Constant quality, no bitrate target: flat renders cost next to nothing.
    "crf": "32",
    "b:v": "0",
    "lag-in-frames": "0",
    "g": str(2 * FPS),
}
_MUXER_OPTIONS = {
    # The index (moov) before the media, so a browser starts playing before the end arrives;
    # bitexact leaves out the library's version string, so the bytes depend on the inputs only.
    "movflags": "+faststart",
    "fflags": "+bitexact",
}

MAX_SOURCE_PIXELS = 3840 * 2160
"""A video-to-video source with larger frames is refused before any frame is decoded."""
MAX_SOURCE_SECONDS = 10
"""Video-to-video keeps the source's length up to this, the longest clip text-to-video makes."""
MAX_SOURCE_FRAMES = MAX_SOURCE_SECONDS * 120
"""Decoding stops after this many frames, whatever the timestamps claim."""
_OUTPUT_PIXELS = 256 * 144
"""Video-to-video scales the source down to this many pixels at most (and 256 a side)."""


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
    """The source's own frames, graded: a duotone of the prompt's colours (by `strength`) and
    a vignette in a dark shade of `hue`, as deep as `rng` draws.

    Same motion and aspect ratio as the source, its length up to `MAX_SOURCE_SECONDS`,
    resampled to 10 frames a second and scaled down to the provider's sizes. BadInput if the
    file is not an MP4, MOV or WebM holding video FFmpeg can decode, or if its frames are
    larger than `MAX_SOURCE_PIXELS`.
    """
    dark, light = tint
    frames, size = _read_source(data)
    shade = Image.new("RGB", size, hls(hue, 0.08, 0.5))
    vignette = _vignette(size, rng.uniform(0.35, 0.6) * strength)
    graded = (Image.composite(shade, retint(f, dark, light, strength), vignette) for f in frames)
    return encode_clip(graded, size, FPS)


def encode_clip(frames: Iterable[Image.Image], size: tuple[int, int], fps: int) -> Clip:
    """VP9 in a fast-start MP4 at `fps`, each frame scaled to `size` (even sides)."""
    width, height = size
    if width % 2 or height % 2 or width <= 0 or height <= 0:
        raise ValueError(f"a clip's sides must be even and positive, not {width}x{height}")
    with tempfile.TemporaryDirectory(prefix="studio-clip-") as folder:
        # The fast-start pass rewrites the file in place, which needs a real file.
        path = Path(folder) / "clip.mp4"
        count = 0
        with av.open(str(path), mode="w", format="mp4", options=_MUXER_OPTIONS) as container:
            stream = container.add_stream(CODEC, rate=fps, options=_ENCODER_OPTIONS)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.codec_context.thread_count = 1
            for image in frames:
                frame = _to_frame(image).reformat(width=width, height=height, format="yuv420p")
                frame.pts, frame.time_base = count, Fraction(1, fps)
                container.mux(stream.encode(frame))
                count += 1
            if count == 0:
                raise ValueError("a clip needs at least one frame")
            container.mux(stream.encode(None))
        data = path.read_bytes()
    return Clip(data=data, width=width, height=height, frames=count, fps=fps)


def decode_frames(data: bytes) -> list[Image.Image]:
    """Every frame of an MP4, MOV or WebM's first video stream, as RGB (ValueError if there is
    none)."""
    try:
        with _open(data) as container:
            if not container.streams.video:
                raise ValueError("the file has no video stream")
            return [_to_image(frame) for frame in container.decode(video=0)]
    except av.error.FFmpegError as exc:
        raise ValueError(f"the video could not be decoded: {exc}") from exc


def _read_source(data: bytes) -> tuple[list[Image.Image], tuple[int, int]]:
    """The source's frames at `FPS` and at the output size, and that size."""
    try:
        with _open(data) as container:
            if not container.streams.video:
                raise BadInput("the input file has no video stream")
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if width * height > MAX_SOURCE_PIXELS:
                raise BadInput(
                    f"the input video is {width}x{height} pixels a frame; "
                    f"at most {MAX_SOURCE_PIXELS:,} are accepted"
                )
            decoded = container.decode(stream)
            first = next(decoded, None)
            if first is None:
                raise BadInput("the input video has no frames")
            # A phone's portrait clip is stored landscape with a rotation to show it upright.
            turned = first.rotation % 180 != 0
            size = _output_size(*((height, width) if turned else (width, height)))
            coded = (size[1], size[0]) if turned else size
            rate = float(stream.average_rate or FPS)
            timed = _timed_frames(itertools.chain([first], decoded), coded, first.rotation, rate)
            return _resample(timed, rate), size
    except av.error.FFmpegError as exc:
        # FFmpeg's own words ("[Errno 1094995529] Invalid data found …") go to the log; the
        # person gets what it means for them.
        log.info("local.input_undecodable", error=f"{type(exc).__name__}: {exc}"[:200])
        raise BadInput(
            "The input video could not be read: it may be damaged or in a format this model "
            "cannot decode. Try another video."
        ) from exc


def _open(data: bytes) -> av.container.InputContainer:
    """`data` opened with the demuxer of its container, MP4/MOV or Matroska/WebM (BadInput for
    anything else). Naming the demuxer, rather than letting FFmpeg guess, keeps those that
    open other files or URLs (playlists, concat lists) out of reach of an uploaded file."""
    if data[4:8] == b"ftyp":
        demuxer = "mov"
    elif data.startswith(b"\x1a\x45\xdf\xa3"):
        demuxer = "matroska"
    else:
        raise BadInput("the input video is not an MP4, MOV or WebM file")
    return av.open(io.BytesIO(data), mode="r", format=demuxer)


def _timed_frames(
    decoded: Iterable[av.VideoFrame], size: tuple[int, int], rotation: int, rate: float
) -> Iterator[tuple[float, Image.Image]]:
    """(seconds from the first frame, picture scaled to `size` then turned upright) for the
    frames within the limits. `rotation`: degrees counterclockwise, as FFmpeg reports it."""
    start: float | None = None
    for index, frame in enumerate(decoded):
        if index == MAX_SOURCE_FRAMES:
            return
        at = frame.time if frame.time is not None else index / rate
        start = at if start is None else start
        if at - start >= MAX_SOURCE_SECONDS:
            return
        # swscale converts and scales in one pass, so a 4K source never becomes a 4K image.
        small = _to_image(frame.reformat(width=size[0], height=size[1], format="rgb24"))
        yield max(0.0, at - start), small.rotate(rotation, expand=True) if rotation else small


def _resample(timed: Iterable[tuple[float, Image.Image]], rate: float) -> list[Image.Image]:
    """One picture per 1/`FPS` s: the latest source frame shown at that moment."""
    out: list[Image.Image] = []
    last: tuple[float, Image.Image] | None = None
    for at, image in timed:
        while last is not None and len(out) / FPS < at - 1e-6:
            out.append(last[1])
        last = (at, image)
    if last is not None:
        end = min(MAX_SOURCE_SECONDS, last[0] + 1 / rate)
        while len(out) < max(1, round(end * FPS)):
            out.append(last[1])
    return out[: MAX_SOURCE_SECONDS * FPS]


def _output_size(width: int, height: int) -> tuple[int, int]:
    """The source's aspect ratio within 256 pixels a side and `_OUTPUT_PIXELS`, sides even."""
    if width <= 0 or height <= 0:
        raise BadInput("the input video has no frame size")
    scale = min(1.0, 256 / max(width, height), math.sqrt(_OUTPUT_PIXELS / (width * height)))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _to_frame(image: Image.Image) -> av.VideoFrame:
    rgb = image.convert("RGB")
    frame: av.VideoFrame = av.VideoFrame.from_image(rgb)  # type: ignore[no-untyped-call]
    return frame


def _to_image(frame: av.VideoFrame) -> Image.Image:
    image: Image.Image = frame.to_image()  # type: ignore[no-untyped-call]
    return image


def _vignette(size: tuple[int, int], depth: float) -> Image.Image:
    """A mask, 0 over the middle of the frame and up to `depth` (0..1) in the corners."""
    gradient = Image.radial_gradient("L").resize(size, Image.Resampling.BILINEAR)
    return gradient.point(lambda v: round(max(0, v - 100) * 255 / 155 * depth))


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
