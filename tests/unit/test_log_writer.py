"""The log writer thread: lines reach stderr whole and in order, what waited while stderr was
slow goes out in one write, and a full queue drops lines instead of waiting."""

import json
import logging
import sys
import uuid
from collections.abc import Iterator

import pytest
import structlog
from studio_runtime import logging as studio_logging

from tests.support.streams import HeldStream
from tests.support.waiting import eventually


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldStream]:
    slow = HeldStream()
    monkeypatch.setattr(sys, "stderr", slow)
    studio_logging.configure_logging(service="unit", json=True)
    yield slow
    slow.released.set()
    monkeypatch.undo()
    studio_logging.configure_logging(service="unit", json=False)


async def test_lines_that_waited_go_out_together_in_order(stream: HeldStream) -> None:
    # Other apps of the session may log meanwhile: only this test's lines are counted.
    marker = f"writer-{uuid.uuid4().hex}"
    log = structlog.get_logger(marker)
    log.info("first")  # taken by the writer, which now waits on the stream
    await eventually(stream.entered.is_set)
    for n in range(100):
        log.info("line", n=n)

    stream.released.set()

    await eventually(lambda: len(_own(stream, marker)) == 101)
    lines = _own(stream, marker)
    assert '"event": "first"' in lines[0]
    assert [f'"n": {n},' in line for n, line in enumerate(lines[1:])] == [True] * 100
    writes = [write for write in stream.lines if marker in write]
    assert len(writes) <= 3, len(writes)  # not one write per line


async def test_a_full_queue_drops_lines_instead_of_waiting(
    stream: HeldStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = f"writer-{uuid.uuid4().hex}"
    monkeypatch.setattr(studio_logging, "QUEUE_MAX", 10)
    dropped = studio_logging.DROPPED._value.get()
    log = logging.getLogger(marker)
    log.warning("first")
    await eventually(stream.entered.is_set)

    for n in range(50):
        log.warning("line %d", n)  # returns at once although nothing is written

    # At most ten wait (fewer if other apps of the session logged meanwhile).
    assert studio_logging.DROPPED._value.get() - dropped >= 40
    stream.released.set()
    await eventually(lambda: any(marker in write for write in stream.lines))
    assert len(_own(stream, marker)) <= 11


def _own(stream: HeldStream, marker: str) -> list[str]:
    return [line for line in "".join(stream.lines).splitlines() if marker in line]


async def test_our_lines_and_the_standard_librarys_have_one_shape(stream: HeldStream) -> None:
    """Our loggers skip the standard library; their lines carry the same fields as uvicorn's
    or pymongo's, secrets masked and tracebacks as text, and debug lines stay out at info."""
    marker = f"writer-{uuid.uuid4().hex}"
    ours = structlog.get_logger(marker)
    with structlog.contextvars.bound_contextvars(request_id="r-1"):
        ours.debug("hidden")
        ours.info("shown", token="abc", note="Bearer sk-live-123")
        try:
            raise ValueError("boom")
        except ValueError:
            ours.exception("failed")
    logging.getLogger(marker).warning("from the standard library")
    stream.released.set()

    await eventually(lambda: len(_own(stream, marker)) == 3)
    shown, failed, foreign = (json.loads(line) for line in _own(stream, marker))
    assert shown["event"] == "shown" and shown["level"] == "info"
    assert shown["logger"] == marker and shown["service"] == "unit"
    assert shown["request_id"] == "r-1" and shown["timestamp"].endswith("Z")
    assert shown["token"] == studio_logging.REDACTED
    assert shown["note"] == f"Bearer {studio_logging.REDACTED}"
    assert failed["level"] == "error" and "ValueError: boom" in failed["exception"]
    assert foreign["level"] == "warning" and foreign["logger"] == marker
    assert set(shown) - {"token", "note", "request_id"} == set(foreign)
