"""`studio generate`: request a generation, follow it live, download its outputs."""

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from httpx_sse import ServerSentEvent
from studio_contracts.enums import GenerationType

from studio_cli.client import API, StudioClient, model_path, segment
from studio_cli.commands.projects import resolve_project
from studio_cli.commands.templates import resolve_template
from studio_cli.downloads import output_filename, prepare_directory
from studio_cli.errors import CliError, ExitCode
from studio_cli.follow import follow_generation
from studio_cli.once import post_once
from studio_cli.output import note, print_json, print_line
from studio_cli.params import parse_params
from studio_cli.progress import status_display
from studio_cli.session import JsonFlag, ParamOptions, open_client

ASSET_ID = re.compile(r"^[0-9a-f]{24}$")
Events = Iterator[ServerSentEvent] | None
"""The project's live events, or None when following a generation by polling."""


def generate(
    ctx: typer.Context,
    project: Annotated[
        str, typer.Option("--project", "-p", metavar="PROJECT", help="The project (id or name).")
    ],
    prompt: Annotated[str, typer.Argument(metavar="PROMPT", help="What to make.")] = "",
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            "-m",
            metavar="MODEL",
            help="Model id; default: the recommended one for --type.",
        ),
    ] = None,
    type: Annotated[
        GenerationType | None,
        typer.Option("--type", "-t", help="Generation type; default: the model's, if it has one."),
    ] = None,
    param: ParamOptions = None,
    ref: Annotated[
        list[str] | None,
        typer.Option(
            "--ref",
            "-r",
            metavar="FILE|ASSET_ID",
            help="Reference file (uploaded to the project first) or existing asset id; "
            "repeatable, bound in order to the model's file inputs.",
        ),
    ] = None,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            "-T",
            metavar="TEMPLATE",
            help="Start from a template (id or name; or a starter's id): its type, model, "
            "prompt and params, each replaced by what is given here.",
        ),
    ] = None,
    named: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            metavar="PARAM=FILE|ASSET_ID",
            help="A reference for the model's file input PARAM (e.g. mask_url=mask.png), "
            "which --ref's order cannot reach; repeatable.",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", metavar="DIR", help="Directory for the outputs.", file_okay=False
        ),
    ] = Path("."),
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Return at once with the generation's id.")
    ] = False,
    json: JsonFlag = False,
) -> None:
    """Generate: upload references, request, show live status, download the outputs."""
    if not no_wait:
        prepare_directory(out)
    with open_client(ctx) as client:
        base = resolve_template(client, template) if template else {}
        if base and model is None:
            model, type = base["model_id"], type or GenerationType(base["type"])
        chosen = _model(client, model, type)
        type_ = _type(chosen, type)
        # The template's params only for its own model; what is given here wins.
        kept = base.get("params", {}) if base.get("model_id") == chosen["id"] else {}
        params = {**kept, **parse_params(param or [], chosen["params"])}
        prompt = prompt or base.get("prompt", "")
        project_id = resolve_project(client, project)
        uploads: list[str] = []
        body = {
            "type": type_,
            "model_id": chosen["id"],
            "prompt": prompt,
            "params": params,
            **_files(client, project_id, ref or [], named or [], uploads, quiet=json),
        }
        if no_wait:
            _report(_request(client, project_id, body, uploads), [], json=json)
            return
        with ExitStack() as stack:
            # The stream is opened before the request, so not one of its events is missed.
            events = _open_events(stack, client, project_id)
            generation = _request(client, project_id, body, uploads)
            with _left_behind(generation, project_id, json=json):
                final = _follow(client, generation, events, quiet=json)
        files = _download_outputs(client, final, out) if final["status"] == "completed" else []
    _report(final, files, json=json)


def _request(
    client: StudioClient, project_id: str, body: dict[str, Any], uploads: list[str]
) -> dict[str, Any]:
    """The generation as accepted. When it is refused, the references this command uploaded
    for it are deleted again: kept, they would be files nobody asked to keep.

    The request is sent once (`studio_cli.once`: an Idempotency-Key, sent again while the
    studio is away), so a 202 lost on its way back is answered again with the same generation,
    rather than leaving one running that nobody follows.
    """
    try:
        return post_once(client, f"{API}/projects/{segment(project_id)}/generations", body)
    except CliError as exc:
        if exc.code == ExitCode.USAGE:
            _delete_uploads(client, uploads)
        raise


def _delete_uploads(client: StudioClient, uploads: list[str]) -> None:
    for asset_id in uploads:
        try:
            client.delete(f"{API}/assets/{segment(asset_id)}")
        except CliError as exc:
            note(f"could not delete the reference uploaded as asset {asset_id}: {exc.message}")


def _follow(
    client: StudioClient, generation: dict[str, Any], events: Events, *, quiet: bool
) -> dict[str, Any]:
    display = status_display(f"generation {generation['id']}", quiet=quiet)
    try:
        return follow_generation(client, generation, events, display)
    finally:
        display.close()


@contextmanager
def _left_behind(generation: dict[str, Any], project_id: str, *, json: bool) -> Iterator[None]:
    """Say how to find the generation again when following it stops before its end (Ctrl-C,
    the studio lost for good): it goes on in the studio, and it was paid for."""
    found_later = (
        f"generation {generation['id']} goes on in the studio: see it with "
        f"GET {API}/generations/{generation['id']}, its outputs with "
        f"`studio assets list -p {project_id} --kind output`"
    )
    try:
        yield
    except CliError as exc:
        if exc.code == ExitCode.UNAVAILABLE:
            exc.lines.append(found_later)
            if json:  # what is known, in the shape scripts read (`--no-wait`'s)
                print_json({"generation": generation, "files": []})
        raise
    except KeyboardInterrupt:
        note(found_later)
        raise


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


def _files(
    client: StudioClient,
    project_id: str,
    refs: list[str],
    named: list[str],
    uploads: list[str],
    *,
    quiet: bool,
) -> dict[str, Any]:
    """The request's files: `input_asset_ids` from the `--ref`s, or `inputs` once an `--input`
    names a parameter. When one fails, the files uploaded before it are deleted again (they
    were only uploaded for this generation)."""
    wanted = [(None, ref) for ref in refs] + [_named_input(given) for given in named]
    try:
        files = [
            (param, _reference(client, project_id, reference, uploads, param, quiet=quiet))
            for param, reference in wanted
        ]
    except CliError:
        _delete_uploads(client, uploads)
        raise
    if not named:
        return {"input_asset_ids": [asset_id for _, asset_id in files]}
    return {
        "inputs": [
            {"asset_id": asset_id, **({"param": param} if param else {})}
            for param, asset_id in files
        ]
    }


def _named_input(given: str) -> tuple[str, str]:
    """(parameter, file or asset id) of an `--input PARAM=FILE|ASSET_ID`."""
    param, equals, reference = given.partition("=")
    if not equals or not param or not reference:
        raise CliError(
            f"--input {given}: expected PARAM=FILE or PARAM=ASSET_ID (e.g. mask_url=mask.png)",
            ExitCode.USAGE,
        )
    return param, reference


def _reference(
    client: StudioClient,
    project_id: str,
    reference: str,
    uploads: list[str],
    param: str | None = None,
    *,
    quiet: bool,
) -> str:
    """The asset id of a `--ref` (or of an `--input` for `param`): a file is uploaded first
    (its id added to `uploads`)."""
    option = f"--input {param}=" if param else "--ref "
    file = Path(reference)
    if file.is_dir():
        raise CliError(f"{option}{reference}: a directory, not a file", ExitCode.USAGE)
    if file.is_file():
        try:
            asset = client.upload(project_id, file)
        except CliError as exc:
            if exc.code != ExitCode.USAGE:
                raise
            # Refused (415: not a type the studio takes, 413: too large): say which file.
            raise CliError(f"{option}{reference}: {exc.message}", exc.code, exc.lines) from exc
        if not quiet:
            note(f"uploaded {file} as asset {asset['id']}")
        asset_id: str = asset["id"]
        uploads.append(asset_id)
        return asset_id
    if ASSET_ID.match(reference):
        return reference
    raise CliError(f"{option}{reference}: no such file (nor an asset id)", ExitCode.USAGE)


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
    prepare_directory(out)  # again: it may have gone while the generation ran
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
