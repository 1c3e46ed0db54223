"""`studio projects list|create`, and finding a project by id or by name for other commands."""

import re
import unicodedata
from typing import Annotated

import typer

from studio_cli.client import API, StudioClient, segment
from studio_cli.errors import CliError, ExitCode
from studio_cli.once import post_once
from studio_cli.output import print_json, print_line, print_table
from studio_cli.session import JsonFlag, open_client

ID = re.compile(r"^[0-9a-f]{24}$")

app = typer.Typer(help="Your projects.", no_args_is_help=True)


@app.command("list")
def list_projects(
    ctx: typer.Context,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="TEXT",
            help="Text found, as written (any case), in the name or description.",
        ),
    ] = None,
    json: JsonFlag = False,
) -> None:
    """List your projects, newest first."""
    with open_client(ctx) as client:
        projects = client.list_all(f"{API}/projects", {"q": search})
    if json:
        print_json(projects)
        return
    print_table(
        None,
        ["id", "name", "generations", "assets", "updated"],
        (
            [p["id"], p["name"], p["generation_count"], p["asset_count"], p["updated_at"]]
            for p in projects
        ),
        empty=f"No project matches {search!r}."
        if search
        else "No projects yet: `studio projects create NAME` makes one.",
    )


@app.command("create")
def create_project(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="1 to 120 characters.")],
    description: Annotated[str, typer.Option("--description", "-d", metavar="TEXT")] = "",
    json: JsonFlag = False,
) -> None:
    """Create a project; prints its id (or the whole project with --json).

    Sent once (`studio_cli.once`): an answer lost on its way back, or a proxy that gave up on a
    slow studio, is asked again under the same Idempotency-Key, never making a second project.
    """
    with open_client(ctx) as client:
        project = post_once(client, f"{API}/projects", {"name": name, "description": description})
    if json:
        print_json(project)
    else:
        print_line(project["id"])


def resolve_project(client: StudioClient, reference: str) -> str:
    """The id of the project `reference` names: an id of one of yours; else the exact name of
    one project; else a name that is the same but for case (casefolded, in Unicode's NFC form,
    so `Straße` is `STRASSE` and a composed é the decomposed one)."""
    if ID.match(reference) and _exists(client, reference):
        return reference
    # The search narrows the list to names holding `reference` as written (any case), which
    # always includes its exact name; only a match but for case needs the whole list.
    named = [
        p for p in client.list_all(f"{API}/projects", {"q": reference}) if p["name"] == reference
    ] or [p for p in client.list_all(f"{API}/projects") if _folded(p["name"]) == _folded(reference)]
    if not named:
        what = "id or name" if ID.match(reference) else "name"
        raise CliError(f"no project with the {what} {reference!r}", ExitCode.NOT_FOUND)
    if len(named) > 1:
        ids = ", ".join(p["id"] for p in named)
        raise CliError(
            f"{len(named)} projects are named {reference!r}; pass one's id: {ids}", ExitCode.USAGE
        )
    project_id: str = named[0]["id"]
    return project_id


def _exists(client: StudioClient, project_id: str) -> bool:
    try:
        client.get(f"{API}/projects/{segment(project_id)}")
    except CliError as exc:
        if exc.code != ExitCode.NOT_FOUND:
            raise
        return False
    return True


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()
