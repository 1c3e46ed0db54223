"""Following a generation to its end: from the live event stream, or by polling when there is
no stream (refused, dropped, or a gateway without one)."""

import json
import time
from collections.abc import Iterator
from typing import Any

from httpx_sse import ServerSentEvent

from studio_cli.client import API, StudioClient
from studio_cli.errors import CliError, ExitCode
from studio_cli.progress import StatusDisplay

TERMINAL = frozenset({"completed", "failed", "cancelled"})
_STATUS_OF_EVENT = {
    "generation.requested": "pending",
    "generation.started": "processing",
    "generation.progress": "processing",
    "generation.completed": "completed",
    "generation.failed": "failed",
    "generation.cancelled": "cancelled",
}
_POLL_FIRST_S, _POLL_MAX_S = 0.5, 3.0
OUTAGE_S = 15.0
"""How long polling goes on through a studio that cannot answer (a restart, a proxy's 502)
before it gives up, as `studio events` does: the generation runs on meanwhile."""


def follow_generation(
    client: StudioClient,
    generation: dict[str, Any],
    events: Iterator[ServerSentEvent] | None,
    display: StatusDisplay,
) -> dict[str, Any]:
    """Wait until the generation is completed, failed or cancelled; its final record.

    `events` must have been opened before the generation was requested, so none of its events
    can be missed. The record is read again at the end either way: it, not the event, is the
    truth (outputs, error), and `completed` guarantees every output can be downloaded."""
    if generation["status"] in TERMINAL:
        return generation
    display.update(generation["status"])
    if events is not None:
        try:
            _until_terminal_event(generation["id"], events, display)
        except CliError as exc:
            if exc.code != ExitCode.UNAVAILABLE:
                raise
            # The stream broke: the record still says where the generation is.
    return _poll(client, generation["id"], display)


def _until_terminal_event(
    generation_id: str, events: Iterator[ServerSentEvent], display: StatusDisplay
) -> None:
    for event in events:
        status = _STATUS_OF_EVENT.get(event.event)
        if status is None:
            continue
        data = _data(event)
        if data.get("generation_id") != generation_id:
            continue
        display.update(status, data.get("percent"), _detail(data))
        if status in TERMINAL:
            return


def _poll(client: StudioClient, generation_id: str, display: StatusDisplay) -> dict[str, Any]:
    delay = _POLL_FIRST_S
    lost_since: float | None = None
    while True:
        try:
            record: dict[str, Any] = client.get(f"{API}/generations/{generation_id}")
        except CliError as exc:
            if exc.code != ExitCode.UNAVAILABLE:
                raise
            lost_since = lost_since or time.monotonic()
            if time.monotonic() - lost_since >= OUTAGE_S:
                raise
        else:
            lost_since = None
            progress = record.get("progress") or {}
            display.update(record["status"], progress.get("percent"), _detail(progress))
            if record["status"] in TERMINAL:
                return record
        time.sleep(delay)
        delay = min(delay * 1.5, _POLL_MAX_S)


def _data(event: ServerSentEvent) -> dict[str, Any]:
    try:
        data = json.loads(event.data)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _detail(data: dict[str, Any]) -> str:
    if (position := data.get("queue_position")) is not None:
        return f"queue position {position}"
    logs = data.get("logs") or []
    return str(logs[-1]) if logs else ""
