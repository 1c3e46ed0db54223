"""`eventually` and `patience` (tests/support/waiting.py): deadlines for a busy machine."""

import asyncio
import os
import time

import pytest

from tests.support import waiting
from tests.support.waiting import NotInTime, eventually, patience


def test_patience_is_the_configured_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(waiting.PATIENCE_ENV, "3")
    assert patience() == 3.0


def test_patience_follows_the_load_between_one_and_four(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(waiting.PATIENCE_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    for load, factor in ((0.5, 1.0), (4.0, 2.0), (100.0, 4.0)):
        monkeypatch.setattr(os, "getloadavg", lambda load=load: (load, 0.0, 0.0))
        assert patience() == factor


async def test_returns_as_soon_as_the_condition_holds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(waiting.PATIENCE_ENV, "1")
    calls = 0

    async def third_time() -> bool:
        nonlocal calls
        calls += 1
        return calls == 3

    began = time.monotonic()
    await eventually(third_time, within=30)
    assert calls == 3
    assert time.monotonic() - began < 5


async def test_fails_with_a_timeout_error_saying_what(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(waiting.PATIENCE_ENV, "1")
    with pytest.raises(NotInTime, match="the thing") as failed:
        await eventually(lambda: False, within=0.2, what="the thing")
    assert isinstance(failed.value, TimeoutError), "callers may catch TimeoutError"


async def test_a_condition_that_hangs_is_cut_off_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(waiting.PATIENCE_ENV, "1")

    async def hangs() -> bool:
        await asyncio.Event().wait()
        return True

    began = time.monotonic()
    with pytest.raises(NotInTime):
        await eventually(hangs, within=0.3)
    assert time.monotonic() - began < 5


async def test_the_deadline_is_scaled_by_patience(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(waiting.PATIENCE_ENV, "2")
    with pytest.raises(NotInTime, match=r"within 0\.2s"):
        await eventually(lambda: False, within=0.1)
