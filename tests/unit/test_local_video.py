"""The offline provider's clips through PyAV: what a player sees when it decodes them (codec,
frame count, size, length), how small they are, and video-to-video working on the source's
own frames whatever codec they arrived in."""

import io
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image, ImageDraw, ImageStat
from studio_generation.providers.local_media import BadInput
from studio_generation.providers.local_media.seeding import tint_pair
from studio_generation.providers.local_media.video import (
    decode_frames,
    text_to_video,
    video_to_video,
)

GREEN = tint_pair("green", 1)


def landscape(seconds: int = 2, size: tuple[int, int] = (256, 144), seed: int = 1) -> bytes:
    return text_to_video(random.Random(seed), 0.6, size, seconds).data


def foreign_clip(
    codec: str,
    container_format: str,
    *,
    size: tuple[int, int],
    fps: int,
    frames: int,
    picture: Callable[[int], Image.Image],
    rotation: int = 0,
) -> bytes:
    """A clip as another tool would make it (FFmpeg's LGPL encoders, not ours)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"clip.{container_format}"
        with av.open(str(path), mode="w", format=container_format) as container:
            # Realtime for libvpx (VP8), which otherwise takes a second over this clip.
            stream = container.add_stream(codec, rate=fps, options={"deadline": "realtime"})
            assert isinstance(stream, av.VideoStream)
            if rotation:
                stream.set_display_rotation(rotation)
            stream.width, stream.height, stream.pix_fmt = *size, "yuv420p"
            for index in range(frames):
                image = picture(index)
                frame = av.VideoFrame.from_image(image)  # type: ignore[no-untyped-call]
                frame.pts = index
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()


def red_and_blue(index: int, size: tuple[int, int] = (320, 240)) -> Image.Image:
    """Red on the left, blue on the right, a white ball crossing over."""
    image = Image.new("RGB", size, (40, 60, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0] // 2, size[1]), fill=(210, 40, 40))
    x = 10 + index * 6
    draw.ellipse((x, 100, x + 40, 140), fill=(250, 250, 250))
    return image


def halves(image: Image.Image) -> tuple[list[float], list[float]]:
    width, height = image.size
    left = image.crop((0, 0, width // 2, height))
    right = image.crop((width // 2, 0, width, height))
    return ImageStat.Stat(left).mean, ImageStat.Stat(right).mean


def test_text_to_video_decodes_to_the_requested_frames_and_size() -> None:
    data = landscape(seconds=2, size=(144, 256))
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("mov,mp4")
        assert stream.codec_context.name == "vp9"
        assert (stream.codec_context.width, stream.codec_context.height) == (144, 256)
        assert container.duration == 2 * av.time_base
        frames = list(container.decode(stream))
    assert len(frames) == 20
    assert {(frame.width, frame.height) for frame in frames} == {(144, 256)}


def test_a_clip_is_the_index_first_mp4_a_browser_streams() -> None:
    data = landscape(seconds=1)
    assert data[4:8] == b"ftyp"
    assert data.index(b"moov") < data.index(b"mdat")


def test_a_two_second_clip_is_far_smaller_than_raw_samples() -> None:
    # The old I_PCM stream carried 1.5 bytes per pixel per frame: 1.1 MB for these 20 frames.
    raw = int(256 * 144 * 1.5 * 20)
    assert len(landscape(seconds=2)) < raw / 50


def test_the_same_inputs_give_the_same_bytes() -> None:
    assert landscape(seed=3) == landscape(seed=3)
    assert landscape(seed=3) != landscape(seed=4)


def test_video_to_video_grades_the_frames_of_a_foreign_clip() -> None:
    source = foreign_clip("mpeg4", "mp4", size=(320, 240), fps=25, frames=30, picture=red_and_blue)
    clip = video_to_video(source, random.Random(1), 0.3, GREEN, 0.6)
    # 4:3 kept within the provider's pixel budget; 1.2 s at 10 frames a second.
    assert (clip.width, clip.height, clip.frames) == (222, 166, 12)
    before, after = decode_frames(source)[0], decode_frames(clip.data)[0]
    assert after.size == (222, 166)
    (left_red, left_green, _), (right_red, _, right_blue) = halves(after)
    assert left_red > right_red + 30, "the red half is still there: the same picture"
    assert right_blue > 60
    assert left_green > halves(before)[0][1] + 20, "and the whole frame leans green"


def test_video_to_video_follows_the_source_motion() -> None:
    source = foreign_clip("mpeg4", "mp4", size=(320, 240), fps=25, frames=30, picture=red_and_blue)
    frames = decode_frames(video_to_video(source, random.Random(1), 0.3, GREEN, 0.3).data)
    # The ball moves 15 px of 320 a frame at 10 fps: the brightest column moves right.
    first, last = (_brightest_column(f) for f in (frames[0], frames[-1]))
    assert last - first > 50


def test_video_to_video_turns_a_phones_portrait_clip_upright() -> None:
    # Stored landscape with the red half on the left, shown turned a quarter clockwise.
    source = foreign_clip(
        "mpeg4", "mp4", size=(320, 240), fps=25, frames=5, picture=red_and_blue, rotation=-90
    )
    clip = video_to_video(source, random.Random(1), 0.3, GREEN, 0.3)
    assert (clip.width, clip.height) == (166, 222)
    frame = decode_frames(clip.data)[0]
    top = ImageStat.Stat(frame.crop((0, 0, 166, 111))).mean
    bottom = ImageStat.Stat(frame.crop((0, 111, 166, 222))).mean
    assert top[0] > bottom[0] + 30, "the red half is on top"


def test_video_to_video_keeps_the_length_of_a_webm_source() -> None:
    source = foreign_clip(
        "libvpx",
        "webm",
        size=(160, 90),
        fps=15,
        frames=38,
        picture=lambda i: red_and_blue(i, (160, 90)),
    )
    clip = video_to_video(source, random.Random(1), 0.3, GREEN, 1.0)
    assert (clip.width, clip.height) == (160, 90)
    assert clip.frames == 25  # 38 frames at 15 fps: 2.53 s


def test_video_to_video_stops_at_the_longest_clip() -> None:
    source = foreign_clip(
        "mpeg4",
        "mp4",
        size=(32, 32),
        fps=10,
        frames=130,
        picture=lambda i: Image.new("RGB", (32, 32), (i, 90, 160)),
    )
    assert video_to_video(source, random.Random(1), 0.3, GREEN, 1.0).frames == 100


def test_video_to_video_is_deterministic() -> None:
    source = landscape(seconds=1)
    first = video_to_video(source, random.Random(2), 0.3, GREEN, 0.8).data
    assert video_to_video(source, random.Random(2), 0.3, GREEN, 0.8).data == first
    assert video_to_video(source, random.Random(3), 0.3, GREEN, 0.8).data != first


@pytest.mark.parametrize(
    "data",
    [
        b"\x1a\x45\xdf\xa3" + bytes(60),
        b"\x00\x00\x00\x18ftypisom" + bytes(200),
        b"#EXTM3U\n#EXTINF:1,\nfile:///etc/hostname\n",
        b"not a video",
    ],
    ids=["webm-header-only", "mp4-header-only", "playlist", "text"],
)
def test_video_to_video_refuses_a_file_without_decodable_video(data: bytes) -> None:
    with pytest.raises(BadInput) as refused:
        video_to_video(data, random.Random(1), 0.3, GREEN, 1.0)
    # Said for the person who chose the file, not in FFmpeg's words.
    assert "Errno" not in str(refused.value) and "<none>" not in str(refused.value)


def _brightest_column(image: Image.Image) -> int:
    grey = image.convert("L")
    width = grey.width
    pixels = grey.tobytes()
    sums = [sum(pixels[x::width]) for x in range(width)]
    return max(range(width), key=sums.__getitem__)
