"""`studio generate`: request a generation, follow it live, download its outputs."""

import re
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any

import typer
from httpx_sse import ServerSentEvent
from studio_contracts.enums import GenerationType

from studio_cli.client import API, StudioClient, model_path
from studio_cli.commands.projects import resolve_project
from studio_cli.downloads import output_filename
from studio_cli.errors import CliError, ExitCode
from studio_cli.follow import follow_generation
from studio_cli.output import note, print_json, print_line
from studio_cli.params import parse_params
from studio_cli.progress import status_display
from studio_cli.session import JsonFlag, open_client

ASSET_ID = re.compile(r"^[0-9a-f]{24}$")
Events = Iterator[ServerSentEvent] | None
"""The project's live events, or None when following a generation by polling."""


def generate(
    ctx: typer.Context,
    project: Annotated[
        str, typer.Option("--project", "-p", help="The project (id or exact name).")
    ],
    prompt: Annotated[str, typer.Argument(help="What to make.")] = "",
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help="Model id; default: the recommended one for --type."),
    ] = None,
    type: Annotated[
        GenerationType | None,
        typer.Option("--type", "-t", help="Generation type; default: the model's, if it has one."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-P",
            help="NAME=VALUE, repeatable; typed by the model's schema (`studio model ID`).",
        ),
    ] = None,
    ref: Annotated[
        list[str] | None,
        typer.Option(
            "--ref",
            "-r",
            help="Reference file (uploaded to the project first) or existing asset id; "
            "repeatable, bound in order to the model's file inputs.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for the outputs.", file_okay=False)
    ] = Path("."),
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return at once with the generation's id.")
    ] = False,
    json: JsonFlag = False,
) -> None:
    """Generate: upload references, request, show live status, download the outputs."""
    with open_client(ctx) as client:
        project_id = resolve_project(client, project)
        chosen = _model(client, model, type)
        body = {
            "type": _type(chosen, type),
            "model_id": chosen["id"],
            "prompt": prompt,
            "params": parse_params(param or [], chosen["params"]),
            "input_asset_ids": [_reference(client, project_id, r, quiet=json) for r in ref or []],
        }
        path = f"{API}/projects/{project_id}/generations"
        if no_wait:
            _report(client.post(path, body), [], json=json)
            return
        with ExitStack() as stack:
            # The stream is opened before the request, so not one of its events is missed.
            events = _open_events(stack, client, project_id)
            generation: dict[str, Any] = client.post(path, body)
            display = status_display(f"generation {generation['id']}", quiet=json)
            try:
                final = follow_generation(client, generation, events, display)
            finally:
                display.close()
        files = _download_outputs(client, final, out) if final["status"] == "completed" else []
    _report(final, files, json=json)


def _model(client: StudioClient, model_id: str | None, type_: GenerationType | None) -> Any:
    if model_id:
        return client.get(model_path(model_id))
    if type_ is None:
        raise CliError("pass --model, or --type to use its recommended model", ExitCode.USAGE)
    recommended = [
        m
        for m in client.get(f"{API}/models/recommended", {"type": type_}, shape=list)
        if m.get("available", True)
    ]
    if not recommended:
        raise CliError(f"no recommended model for {type_} runs on this server", ExitCode.NOT_FOUND)
    return recommended[0]


def _type(model: dict[str, Any], type_: GenerationType | None) -> str:
    if type_ is not None:
        return str(type_)
    if len(model["types"]) == 1:
        return str(model["types"][0])
    raise CliError(
        f"{model['id']} does several types; pick one with --type: {', '.join(model['types'])}",
        ExitCode.USAGE,
    )


def _reference(client: StudioClient, project_id: str, reference: str, *, quiet: bool) -> str:
    file = Path(reference)
    if file.is_file():
        asset = client.upload(project_id, file)
        if not quiet:
            note(f"uploaded {file} as asset {asset['id']}")
        asset_id: str = asset["id"]
        return asset_id
    if ASSET_ID.match(reference):
        return reference
    raise CliError(f"--ref {reference}: no such file (nor an asset id)", ExitCode.USAGE)


def _open_events(stack: ExitStack, client: StudioClient, project_id: str) -> Events:
    """The project's live events, past the stream's first (`ready`) message; None when the
    gateway will not give a stream now (over the per-user limit, unreachable): the generation
    is then followed by polling."""
    try:
        events = stack.enter_context(client.events({"project_id": project_id}))
        first: ServerSentEvent | None = next(events, None)
    except CliError as exc:
        if exc.code != ExitCode.UNAVAILABLE:
            raise
        return None
    return events if first is not None else None


def _download_outputs(
    client: StudioClient, generation: dict[str, Any], out: Path
) -> list[dict[str, Any]]:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create {out}: {exc.strerror}", ExitCode.USAGE) from exc
    files = []
    for output in generation["outputs"]:
        destination = out / output_filename(generation["id"], output)
        size = client.download(output["asset_id"], destination)
        files.append(
            {
                "index": output["index"],
                "asset_id": output["asset_id"],
                "path": str(destination),
                "size": size,
            }
        )
    return files


def _report(generation: dict[str, Any], files: list[dict[str, Any]], *, json: bool) -> None:
    """Print the result; a generation that failed or was cancelled exits 1, after its JSON."""
    if json:
        print_json({"generation": generation, "files": files})
    elif generation["status"] in ("pending", "processing"):
        print_line(generation["id"])
    else:
        for file in files:
            print_line(file["path"])
    if generation["status"] in ("failed", "cancelled"):
        error = generation.get("error") or {}
        reason = f": {error['message']} ({error['code']})" if error.get("message") else ""
        raise CliError(
            f"generation {generation['id']} {generation['status']}{reason}",
            ExitCode.GENERATION_FAILED,
        )
