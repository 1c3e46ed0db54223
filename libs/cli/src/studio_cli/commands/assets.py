"""`studio assets list|download`: the files of your projects, uploaded and generated."""

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from studio_contracts.assets import AssetKind
from studio_contracts.enums import MediaType

from studio_cli.client import API, segment
from studio_cli.commands.projects import resolve_project
from studio_cli.downloads import prepare_directory, safe_filename
from studio_cli.output import human_size, print_json, print_line, print_table, writing_stdout
from studio_cli.session import JsonFlag, open_client

app = typer.Typer(help="Your files: uploads and generated outputs.", no_args_is_help=True)


@app.command("list")
def list_assets(
    ctx: typer.Context,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", metavar="PROJECT", help="Only this project (id or name)."),
    ] = None,
    # No short flag: `-m` is `--model` in `studio generate`.
    media_type: Annotated[
        MediaType | None, typer.Option("--media-type", help="Only files of this type.")
    ] = None,
    kind: Annotated[AssetKind | None, typer.Option(help="Uploads or generated outputs.")] = None,
    favorite: Annotated[
        bool | None, typer.Option("--favorite/--not-favorite", help="Only (non-)favourites.")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="TEXT",
            help="Text found, as written (any case), in the name, original file name, a tag or "
            "the prompt.",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, metavar="N", help="At most this many, newest first.")
    ] = 50,
    json: JsonFlag = False,
) -> None:
    """List assets, newest first."""
    with open_client(ctx) as client:
        query = {
            "project_id": resolve_project(client, project) if project else None,
            "media_type": media_type,
            "kind": kind,
            "favorite": favorite,
            "q": search,
        }
        assets = client.list_all(f"{API}/assets", query, most=limit)
    if json:
        print_json(assets)
        return
    print_table(
        None,
        ["id", "name", "type", "kind", "size", "project", "created"],
        (
            [
                a["id"],
                a["name"],
                a["media_type"],
                a["kind"],
                human_size(a["size"]),
                a["project_id"],
                a["created_at"],
            ]
            for a in assets
        ),
        empty="No assets match.",
        whole=("id", "project"),
    )


@app.command("download")
def download_asset(
    ctx: typer.Context,
    asset_id: Annotated[str, typer.Argument(metavar="ASSET_ID", help="The asset's id.")],
    out: Annotated[
        str | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE|DIR|-",
            help="File or directory to write to (default: the asset's name in the current "
            "directory); a path ending in `/` is a directory, made if missing; `-` writes the "
            "bytes to stdout.",
        ),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """Download an asset's file."""
    if out and out.endswith(("/", os.sep)):
        # `-o out/` names a directory, as for `generate`: a file named "out" would be a
        # surprise (Path drops the trailing slash). Made before anything is asked for.
        prepare_directory(Path(out))
    with open_client(ctx) as client:
        asset: dict[str, Any] = client.get(f"{API}/assets/{segment(asset_id)}")
        if out == "-":
            with writing_stdout():
                client.write_content(asset_id, sys.stdout.buffer)
                sys.stdout.buffer.flush()
            return
        destination = Path(out) if out else Path.cwd()
        if destination.is_dir():
            destination = destination / safe_filename(asset["name"], fallback=asset_id)
        size = client.download(asset_id, destination)
    if json:
        print_json({"asset": asset, "path": str(destination), "size": size})
    else:
        print_line(str(destination))
