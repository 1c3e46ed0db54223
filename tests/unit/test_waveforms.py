"""A sound's waveform: the loudest sample of each of 64 stretches, in percent of full scale."""

import io
from array import array

import pytest
from studio_assets.waveforms import BARS, audio_waveform, bars

from tests.support import media_samples

pytestmark = pytest.mark.fast


def test_the_bars_follow_the_sound_loud_and_quiet() -> None:
    source = io.BytesIO(media_samples.tone_wav([0.1, 0.8], seconds_each=1.0))
    shape = audio_waveform(source)
    assert shape is not None and len(shape) == BARS
    quiet, loud = shape[4 : BARS // 2 - 4], shape[BARS // 2 + 4 : -4]
    assert all(8 <= bar <= 12 for bar in quiet), shape
    assert all(76 <= bar <= 84 for bar in loud), shape
    assert source.tell() == 0, "left at its start for whoever reads it next"


def test_silence_and_what_is_not_a_sound_have_no_waveform() -> None:
    assert audio_waveform(io.BytesIO(media_samples.wav(1.0))) is None
    assert audio_waveform(io.BytesIO(media_samples.png(32, 32))) is None
    assert audio_waveform(io.BytesIO(b"")) is None
    truncated = media_samples.tone_wav([0.5])[:60]
    assert audio_waveform(io.BytesIO(truncated)) is None
    # A video without a sound track: nothing to draw, nothing fails.
    assert audio_waveform(io.BytesIO(media_samples.mp4(64, 32, frames=3))) is None


def test_a_quiet_stretch_still_shows_and_full_scale_is_100() -> None:
    samples = array("h", [0] * 640)
    samples[5] = 30  # far below 1 %
    samples[-1] = -32768
    shape = bars(samples)
    assert shape is not None
    assert shape[0] == 1 and shape[1] == 0 and shape[-1] == 100
    assert bars(array("h", [0] * 640)) is None
    assert bars(array("h", [100] * (BARS - 1))) is None, "too short to draw"
