"""The assets service's probe: what FFmpeg's demuxers read from a file's headers, and nothing
(rather than an error) for a file they cannot read."""

import io
import random
import wave

import pytest
from studio_assets.probe import MediaFacts, probe_media
from studio_generation.providers.local_media.video import text_to_video


def test_probe_reads_a_generated_clip() -> None:
    clip = text_to_video(random.Random(1), 0.6, (256, 144), 2)
    facts = probe_media(io.BytesIO(clip.data))
    assert facts == MediaFacts(width=256, height=144, duration=2.0, codec="vp9")


def test_probe_reads_the_length_of_a_wav() -> None:
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(bytes(2 * 18000))
    facts = probe_media(io.BytesIO(out.getvalue()))
    assert facts == MediaFacts(width=None, height=None, duration=2.25, codec="pcm_s16le")


def test_probe_leaves_the_file_at_its_start() -> None:
    source = io.BytesIO(text_to_video(random.Random(1), 0.6, (192, 192), 1).data)
    probe_media(source)
    assert source.tell() == 0


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x00\x00\x18ftypisom" + bytes(200),
        b"#EXTM3U\n#EXT-X-VERSION:3\n#EXTINF:1,\nfile:///etc/hostname\n",
        b"",
    ],
    ids=["mp4-header-only", "playlist", "empty"],
)
def test_probe_answers_none_for_what_it_cannot_read(data: bytes) -> None:
    assert probe_media(io.BytesIO(data)) is None
