"""The offline `local` provider: every model renders a real file of the promised type, quickly
and deterministically, and reports through ProviderEvents like a hosted provider would.

Files are checked the way a consumer sees them: magic bytes, then decoded (Pillow for images,
`wave` for WAV, a box walk written here for MP4, the GLB chunks parsed by hand).
"""

import io
import json
import struct
import wave
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont, ImageStat
from studio_contracts.enums import GenerationType, MediaType
from studio_generation.providers.base import (
    InputFile,
    PermanentProviderError,
    ProviderJob,
    ProviderOutput,
    ProviderProgress,
)
from studio_generation.providers.local import LocalProvider
from studio_generation.providers.local_media.images import fitted
from studio_generation.providers.local_media.video import decode_frames

KINDS = {
    "local/image": (GenerationType.TEXT_TO_IMAGE, MediaType.IMAGE),
    "local/image-edit": (GenerationType.IMAGE_TO_IMAGE, MediaType.IMAGE),
    "local/video": (GenerationType.TEXT_TO_VIDEO, MediaType.VIDEO),
    "local/image-to-video": (GenerationType.IMAGE_TO_VIDEO, MediaType.VIDEO),
    "local/video-to-video": (GenerationType.VIDEO_TO_VIDEO, MediaType.VIDEO),
    "local/audio": (GenerationType.TEXT_TO_AUDIO, MediaType.AUDIO),
    "local/3d": (GenerationType.IMAGE_TO_3D, MediaType.MODEL3D),
}


class RecordingEvents:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    async def submitted(self, request_id: str) -> None:
        self.calls.append(("submitted", request_id))

    async def progress(self, progress: ProviderProgress) -> None:
        self.calls.append(("progress", progress))


def reference_png(width: int = 320, height: int = 200) -> bytes:
    image = Image.new("RGB", (width, height), (30, 60, 200))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 2, height), fill=(220, 40, 40))
    draw.ellipse((width // 3, height // 4, width // 2, height // 2), fill=(250, 250, 250))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


IMAGE = InputFile(content_type="image/png", data=reference_png(), filename="ref.png")


def make_job(
    model_id: str, inputs: dict[str, InputFile | tuple[InputFile, ...]] | None = None, **params: Any
) -> ProviderJob:
    generation_type, output = KINDS[model_id]
    return ProviderJob(
        generation_id="gen-1",
        model_id=model_id,
        type=generation_type,
        output=output,
        params={"prompt": "a red fox at dusk", **params},
        inputs=inputs or {},
    )


async def run(
    job: ProviderJob, provider: LocalProvider | None = None
) -> tuple[list[ProviderOutput], RecordingEvents]:
    events = RecordingEvents()
    outputs = await (provider or LocalProvider()).run(job, events)
    assert all(name != "submitted" for name, _ in events.calls)  # nothing to resume
    for output in outputs:
        assert output.data is not None
        assert output.url is None
    return outputs, events


async def one(job: ProviderJob) -> ProviderOutput:
    outputs, _ = await run(job)
    assert len(outputs) == 1
    return outputs[0]


def data_of(output: ProviderOutput) -> bytes:
    assert output.data is not None
    return output.data


# --- images ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ("square_hd", (1024, 1024)),
        ("square", (512, 512)),
        ("portrait_4_3", (768, 1024)),
        ("portrait_16_9", (576, 1024)),
        ("landscape_4_3", (1024, 768)),
        ("landscape_16_9", (1024, 576)),
    ],
)
async def test_text_to_image_is_a_png_of_the_named_size(
    size: str, expected: tuple[int, int]
) -> None:
    output = await one(make_job("local/image", image_size=size, seed=7))
    data = data_of(output)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert (output.media_type, output.content_type, output.extension) == (
        MediaType.IMAGE,
        "image/png",
        "png",
    )
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        assert image.size == expected == (output.width, output.height)


async def test_text_to_image_makes_num_images_distinct_webps() -> None:
    outputs, _ = await run(
        make_job("local/image", image_size="square", num_images=3, output_format="webp")
    )
    assert len(outputs) == 3
    assert len({data_of(o) for o in outputs}) == 3
    for output in outputs:
        data = data_of(output)
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
        assert (output.content_type, output.extension) == ("image/webp", "webp")
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (512, 512) == (output.width, output.height)


async def test_text_to_image_is_deterministic_and_follows_prompt_seed_and_params() -> None:
    base = make_job("local/image", image_size="square", seed=1)
    first, again = data_of(await one(base)), data_of(await one(base))
    assert first == again
    changed = [
        replace(base, params={**base.params, "seed": 2}),
        replace(base, params={**base.params, "prompt": "a blue whale"}),
        replace(base, params={**base.params, "negative_prompt": "blurry"}),
        replace(base, params={**base.params, "num_inference_steps": 30}),
        replace(base, params={**base.params, "guidance_scale": 12}),
    ]
    results = {data_of(await one(job)) for job in changed}
    assert len(results) == len(changed) and first not in results


async def test_no_seed_means_seed_zero() -> None:
    without = make_job("local/image", image_size="square")
    with_zero = make_job("local/image", image_size="square", seed=0)
    assert data_of(await one(without)) == data_of(await one(with_zero))


async def test_image_edit_recolours_the_reference_at_the_requested_size() -> None:
    job = make_job(
        "local/image-edit", {"image_url": IMAGE}, image_size="landscape_4_3", strength=0.5
    )
    output = await one(job)
    data = data_of(output)
    assert data.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1024, 768) == (output.width, output.height)
        # The left half of the reference is red: the edit keeps that layout.
        left = ImageStat.Stat(image.convert("RGB").crop((0, 0, 400, 768))).mean
        right = ImageStat.Stat(image.convert("RGB").crop((624, 0, 1024, 768))).mean
        assert left != right
    assert data_of(await one(job)) == data
    reseeded = replace(job, params={**job.params, "seed": 99})
    stronger = replace(job, params={**job.params, "strength": 1.0})
    assert data_of(await one(reseeded)) != data
    assert data_of(await one(stronger)) != data


async def test_image_edit_webp() -> None:
    job = make_job(
        "local/image-edit", {"image_url": IMAGE}, image_size="square", output_format="webp"
    )
    data = data_of(await one(job))
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"


async def test_unreadable_reference_image_is_a_permanent_error() -> None:
    broken = InputFile(content_type="image/png", data=b"\x89PNG not really")
    with pytest.raises(PermanentProviderError, match="could not be read"):
        await run(make_job("local/image-edit", {"image_url": broken}))


async def test_a_list_of_references_renders_from_the_first() -> None:
    """The worker now passes every file of a list binding (QA 24); the offline renderers take
    one source, so they take the one given first, as before."""
    other = InputFile(content_type="image/png", data=b"\x89PNG not read", filename="second.png")
    alone = data_of(await one(make_job("local/image-edit", {"image_url": IMAGE})))
    listed = data_of(await one(make_job("local/image-edit", {"image_url": (IMAGE, other)})))
    assert listed == alone


async def test_an_empty_list_of_references_is_a_missing_input() -> None:
    with pytest.raises(PermanentProviderError, match="needs an input file for image_url"):
        await run(make_job("local/image-edit", {"image_url": ()}))


async def test_a_bad_parameter_reads_as_a_sentence() -> None:
    with pytest.raises(PermanentProviderError) as refused:
        await run(make_job("local/image", num_images=9))
    assert refused.value.message == "Num images must be a whole number from 1 to 4, not 9."


# --- video -----------------------------------------------------------------------------------

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}


def mp4_boxes(
    data: bytes, prefix: str = "", found: dict[str, bytes] | None = None
) -> dict[str, bytes]:
    """Each box's payload by path ("moov/trak/tkhd"), written independently of the provider."""
    found = {} if found is None else found
    at = 0
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        assert size >= 8, f"bad box size at {at}"
        path = prefix + kind.decode("latin-1")
        found.setdefault(path, data[at + 8 : at + size])
        if kind in CONTAINERS:
            mp4_boxes(data[at + 8 : at + size], path + "/", found)
        at += size
    assert at == len(data)
    return found


def check_mp4(output: ProviderOutput, width: int, height: int, seconds: int) -> dict[str, bytes]:
    data = data_of(output)
    assert data[4:8] == b"ftyp"
    assert (output.media_type, output.content_type, output.extension) == (
        MediaType.VIDEO,
        "video/mp4",
        "mp4",
    )
    assert (output.width, output.height, output.duration) == (width, height, float(seconds))
    boxes = mp4_boxes(data)
    assert list(boxes)[:2] == ["ftyp", "moov"], "moov before mdat (fast start)"
    timescale, duration = struct.unpack(">II", boxes["moov/mvhd"][12:20])
    assert duration / timescale == seconds
    tkhd = boxes["moov/trak/tkhd"]
    assert struct.unpack(">II", tkhd[76:84]) == (width << 16, height << 16)
    stbl = "moov/trak/mdia/minf/stbl/"
    _, count = struct.unpack(">II", boxes[stbl + "stsz"][4:12])
    assert count == seconds * 10
    media_scale, media_duration = struct.unpack(">II", boxes["moov/trak/mdia/mdhd"][12:20])
    assert media_duration / media_scale == seconds
    assert boxes[stbl + "stsd"][12:16] == b"vp09"
    frames = decode_frames(data)
    assert len(frames) == count
    assert all(frame.size == (width, height) for frame in frames)
    return boxes


@pytest.mark.parametrize(
    ("aspect", "size"), [("16:9", (256, 144)), ("9:16", (144, 256)), ("1:1", (192, 192))]
)
async def test_text_to_video_is_an_mp4_of_the_aspect_and_duration(
    aspect: str, size: tuple[int, int]
) -> None:
    output = await one(make_job("local/video", duration="1", aspect_ratio=aspect))
    check_mp4(output, *size, seconds=1)


async def test_text_to_video_is_deterministic() -> None:
    job = make_job("local/video", duration="1", seed=3)
    first = data_of(await one(job))
    assert data_of(await one(job)) == first
    assert data_of(await one(replace(job, params={**job.params, "seed": 4}))) != first
    longer = await one(replace(job, params={**job.params, "duration": "4"}))
    check_mp4(longer, 256, 144, seconds=4)


async def test_image_to_video_starts_on_the_reference_image() -> None:
    job = make_job("local/image-to-video", {"image_url": IMAGE}, duration="2", aspect_ratio="1:1")
    output = await one(job)
    check_mp4(output, 192, 192, seconds=2)
    first = decode_frames(data_of(output))[0]
    with Image.open(io.BytesIO(IMAGE.data)) as source:
        expected = source.convert("RGB").crop((60, 0, 260, 200)).resize((192, 192))
    got, want = ImageStat.Stat(first).mean, ImageStat.Stat(expected).mean
    assert all(abs(g - w) < 12 for g, w in zip(got, want, strict=True)), (got, want)
    assert data_of(await one(job)) == data_of(output)
    assert data_of(await one(replace(job, params={**job.params, "seed": 5}))) != data_of(output)


async def test_video_to_video_retints_a_local_clip_frame_by_frame() -> None:
    source = await one(make_job("local/video", duration="1", aspect_ratio="9:16"))
    video = InputFile(content_type="video/mp4", data=data_of(source))
    job = make_job("local/video-to-video", {"video_url": video}, prompt="green", strength=1.0)
    output = await one(job)
    check_mp4(output, 144, 256, seconds=1)
    before, after = decode_frames(data_of(source)), decode_frames(data_of(output))
    # Full strength: the frames are a green duotone of the originals, same shapes.
    red, green, _ = ImageStat.Stat(after[5]).mean
    assert green > red
    assert ImageStat.Stat(before[5]).mean != ImageStat.Stat(after[5]).mean
    assert data_of(await one(job)) == data_of(output)


# --- audio -----------------------------------------------------------------------------------


async def test_audio_is_a_wav_of_seconds_total() -> None:
    job = make_job("local/audio", seconds_total=2, seed=11)
    output = await one(job)
    data = data_of(output)
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert (output.media_type, output.content_type, output.extension) == (
        MediaType.AUDIO,
        "audio/wav",
        "wav",
    )
    assert output.duration == 2.0
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
        assert wav.getnframes() == 2 * 22050
        samples = wav.readframes(wav.getnframes())
    assert max(abs(s) for (s,) in struct.iter_unpack("<h", samples)) > 1000, "not silence"
    assert data_of(await one(job)) == data
    assert data_of(await one(replace(job, params={**job.params, "seed": 12}))) != data


# --- 3D --------------------------------------------------------------------------------------


def parse_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    magic, version, length = struct.unpack("<4sII", data[:12])
    assert (magic, version, length) == (b"glTF", 2, len(data))
    json_length, json_type = struct.unpack("<I4s", data[12:20])
    assert json_type == b"JSON" and json_length % 4 == 0
    document = json.loads(data[20 : 20 + json_length])
    at = 20 + json_length
    bin_length, bin_type = struct.unpack("<I4s", data[at : at + 8])
    assert bin_type == b"BIN\x00" and at + 8 + bin_length == len(data)
    return document, data[at + 8 :]


async def test_3d_is_a_textured_glb_relief() -> None:
    job = make_job("local/3d", {"image_url": IMAGE}, prompt="", seed=1)
    output = await one(job)
    data = data_of(output)
    assert (output.media_type, output.content_type, output.extension) == (
        MediaType.MODEL3D,
        "model/gltf-binary",
        "glb",
    )
    document, binary = parse_glb(data)
    assert document["asset"]["version"] == "2.0"
    assert document["buffers"] == [{"byteLength": len(binary)}]
    for view in document["bufferViews"]:
        assert view["byteOffset"] % 4 == 0
        assert view["byteOffset"] + view["byteLength"] <= len(binary)
    primitive = document["meshes"][0]["primitives"][0]
    accessors = document["accessors"]
    vertices = accessors[primitive["attributes"]["POSITION"]]["count"]
    component_sizes = {"VEC3": 12, "VEC2": 8, "SCALAR": 2}
    for accessor in accessors:
        view = document["bufferViews"][accessor["bufferView"]]
        assert view["byteLength"] == accessor["count"] * component_sizes[accessor["type"]]
    indices = accessors[primitive["indices"]]
    index_view = document["bufferViews"][indices["bufferView"]]
    start = index_view["byteOffset"]
    values = struct.unpack(
        f"<{indices['count']}H", binary[start : start + index_view["byteLength"]]
    )
    assert indices["count"] % 3 == 0 and max(values) == vertices - 1
    image_view = document["bufferViews"][document["images"][0]["bufferView"]]
    texture = binary[image_view["byteOffset"] : image_view["byteOffset"] + image_view["byteLength"]]
    assert texture.startswith(b"\xff\xd8\xff")
    material = document["materials"][0]["pbrMetallicRoughness"]
    assert material["baseColorFactor"] == [1.0, 1.0, 1.0, 1.0]

    assert data_of(await one(job)) == data
    assert data_of(await one(replace(job, params={**job.params, "seed": 2}))) != data
    tinted, _ = parse_glb(data_of(await one(replace(job, params={"prompt": "blue", "seed": 1}))))
    factor = tinted["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"]
    assert factor[2] > factor[0]


# --- the provider's behaviour ------------------------------------------------------------------


async def test_progress_is_reported_progress_steps_times() -> None:
    provider = LocalProvider(latency_s=0.03, progress_steps=3)
    outputs, events = await run(make_job("local/audio", seconds_total=1), provider)
    assert len(outputs) == 1
    assert [name for name, _ in events.calls] == ["progress", "progress", "progress"]
    percents = [p.percent for name, p in events.calls if name == "progress"]
    assert percents == [33.3, 66.7, 100.0]


async def test_no_progress_without_steps() -> None:
    _, events = await run(make_job("local/audio", seconds_total=1))
    assert events.calls == []


async def test_a_resumed_job_is_rendered_again_without_a_second_submit() -> None:
    job = replace(make_job("local/audio", seconds_total=1), resume_request_id="local-gen-1")
    events = RecordingEvents()
    outputs = await LocalProvider().run(job, events)
    assert len(outputs) == 1 and events.calls == []


async def test_unknown_model_is_a_permanent_error_before_submitting() -> None:
    job = replace(make_job("local/image"), model_id="local/nope")
    events = RecordingEvents()
    with pytest.raises(PermanentProviderError, match="local/nope"):
        await LocalProvider().run(job, events)
    assert events.calls == []


@pytest.mark.parametrize(
    ("model_id", "name"),
    [
        ("local/image-edit", "image_url"),
        ("local/image-to-video", "image_url"),
        ("local/video-to-video", "video_url"),
        ("local/3d", "image_url"),
    ],
)
async def test_missing_input_file_is_a_permanent_error(model_id: str, name: str) -> None:
    events = RecordingEvents()
    with pytest.raises(PermanentProviderError, match=name):
        await LocalProvider().run(make_job(model_id), events)
    assert events.calls == []


async def test_a_bad_parameter_is_a_permanent_error() -> None:
    with pytest.raises(PermanentProviderError, match="image_size"):
        await run(make_job("local/image", image_size="huge"))


async def test_cancel_is_too_late() -> None:
    assert await LocalProvider().cancel("local-gen-1") is False


@pytest.mark.parametrize("room", [0, 20, 54, 120, 400, 5000])
def test_a_caption_is_cut_to_the_longest_start_that_fits(room: int) -> None:
    font = ImageFont.load_default(size=12)
    text = "a lighthouse on a cliff at dawn, waves breaking, gulls overhead"
    cut = fitted(text, font, room)
    if font.getlength(text) <= room:
        assert cut == text
        return
    shown = cut.removesuffix("...")
    assert cut.endswith("...") and text.startswith(shown)
    # Nothing longer fits; what is shown does, unless nothing at all would.
    assert font.getlength(text[: len(shown) + 1] + "...") > room
    assert not shown or font.getlength(cut) <= room
