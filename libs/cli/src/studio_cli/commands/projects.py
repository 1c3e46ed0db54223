"""`studio projects list|create`, and finding a project by id or by name for other commands."""

import re
from typing import Annotated

import typer

from studio_cli.client import API, StudioClient
from studio_cli.errors import CliError, ExitCode
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
            "--search", "-s", help="Text found, as written (any case), in the name or description."
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
        empty="No projects yet: `studio projects create NAME` makes one.",
    )


@app.command("create")
def create_project(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="1 to 120 characters.")],
    description: Annotated[str, typer.Option("--description", "-d")] = "",
    json: JsonFlag = False,
) -> None:
    """Create a project; prints its id (or the whole project with --json)."""
    with open_client(ctx) as client:
        project = client.post(f"{API}/projects", {"name": name, "description": description})
    if json:
        print_json(project)
    else:
        print_line(project["id"])


def resolve_project(client: StudioClient, reference: str) -> str:
    """The id of the project `reference` names: an id, or the exact name of one project."""
    if ID.match(reference):
        return reference
    found = client.list_all(f"{API}/projects", {"q": reference})
    named = [p for p in found if p["name"] == reference] or [
        p for p in found if p["name"].casefold() == reference.casefold()
    ]
    if not named:
        raise CliError(f"no project named {reference!r}", ExitCode.NOT_FOUND)
    if len(named) > 1:
        ids = ", ".join(p["id"] for p in named)
        raise CliError(
            f"{len(named)} projects are named {reference!r}; pass one's id: {ids}", ExitCode.USAGE
        )
    project_id: str = named[0]["id"]
    return project_id
