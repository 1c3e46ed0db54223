"""`studio events`: tail your live events (Server-Sent Events), as lines or JSON lines."""

import json as jsonlib
import time
from collections.abc import Generator
from contextlib import closing
from typing import Annotated, Any

import typer
from httpx_sse import ServerSentEvent

from studio_cli.client import StudioClient
from studio_cli.commands.projects import resolve_project
from studio_cli.errors import CliError, ExitCode
from studio_cli.output import note, print_json_line, print_line
from studio_cli.session import JsonFlag, open_client

RECONNECT_S = 3.0
"""The gateway's own `retry:` advice."""
MAX_FAILED_RECONNECTS = 5
_SHOWN = (
    ("project_id", "project"),
    ("generation_id", "generation"),
    ("asset_id", "asset"),
    ("name", "name"),
    ("model_id", "model"),
    ("media_type", "media"),
    ("attempt", "attempt"),
    ("percent", "percent"),
    ("queue_position", "queue"),
)


def tail_events(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", metavar="PROJECT", help="Only this project (id or name)."),
    ] = None,
    type: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            "-t",
            metavar="PREFIX",
            help="Only events whose name starts with this (e.g. generation, asset.created); "
            "repeatable.",
        ),
    ] = None,
    count: Annotated[
        int | None,
        typer.Option("--count", "-n", min=1, metavar="N", help="Stop after this many events."),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Print live events as they happen (Ctrl-C stops); reconnects and resumes if dropped."""
    prefixes = tuple(type or ())
    printed = 0
    with open_client(ctx) as client:
        params = {"project_id": resolve_project(client, project) if project else None}
        with closing(_resuming(client, params)) as events:
            for event in events:
                if prefixes and not event.event.startswith(prefixes):
                    continue
                _print_event(event.event, event.id, event.data, json=json)
                printed += 1
                if count is not None and printed >= count:
                    return


def _resuming(client: StudioClient, params: dict[str, Any]) -> Generator[ServerSentEvent]:
    """The live events (without the stream's own `ready`/`reset`), reconnecting with
    `Last-Event-ID` when the stream drops, so nothing is missed or repeated."""
    last_id: str | None = None
    failures = 0
    while True:
        try:
            with client.events(params, last_event_id=last_id) as events:
                for event in events:
                    failures = 0
                    last_id = event.id or last_id
                    if event.event == "reset":
                        note("some events were missed: the resume point is too far behind")
                    if event.event in ("ready", "reset"):
                        note(f"listening for events from {client.target.url} (Ctrl-C stops)")
                    else:
                        yield event
        except CliError as exc:
            # Only a stream that worked before is reconnected; anything else is reported.
            failures += 1
            if exc.code != ExitCode.UNAVAILABLE or last_id is None:
                raise
            if failures >= MAX_FAILED_RECONNECTS:
                raise
        note(f"event stream dropped; reconnecting in {RECONNECT_S:g} s")
        time.sleep(RECONNECT_S)


def _print_event(name: str, event_id: str, data: str, *, json: bool) -> None:
    try:
        payload: Any = jsonlib.loads(data)
    except ValueError:
        payload = data
    if json:
        print_json_line({"event": name, "id": event_id, "data": payload})
        return
    fields = payload if isinstance(payload, dict) else {}
    parts = [str(fields.get("occurred_at", "")), name]
    parts += [f"{label}={fields[key]}" for key, label in _SHOWN if fields.get(key) is not None]
    if isinstance(fields.get("error"), dict):
        parts.append(f"error={fields['error'].get('message', '')!r}")
    if isinstance(fields.get("outputs"), list):
        parts.append(f"outputs={len(fields['outputs'])}")
    print_line(" ".join(part for part in parts if part))
