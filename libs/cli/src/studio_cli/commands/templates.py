"""`studio templates list|create|delete`: saved generation settings to start from again, as the
studio's Templates page has them (a `generate --template` uses one)."""

from typing import Annotated, Any

import typer
from studio_contracts.enums import GenerationType

from studio_cli.client import API, StudioClient, model_path, segment
from studio_cli.errors import CliError, ExitCode
from studio_cli.once import post_once
from studio_cli.output import print_json, print_line, print_table
from studio_cli.params import parse_params
from studio_cli.session import JsonFlag, ParamOptions, open_client

app = typer.Typer(help="Your templates, and the starter templates.", no_args_is_help=True)


@app.command("list")
def list_templates(
    ctx: typer.Context,
    type: Annotated[
        GenerationType | None, typer.Option("--type", "-t", help="Only of this type.")
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            "-s",
            metavar="TEXT",
            help="Text found, as written (any case), in the name or the prompt.",
        ),
    ] = None,
    starters: Annotated[
        bool, typer.Option("--starters", help="The starter templates the studio ships instead.")
    ] = False,
    json: JsonFlag = False,
) -> None:
    """List your templates, newest first (or the starter templates)."""
    with open_client(ctx) as client:
        if starters:
            items = client.get(f"{API}/starter-templates", {"type": type})["items"]
        else:
            items = client.list_all(f"{API}/templates", {"type": type, "q": search})
    if json:
        print_json(items)
        return
    print_table(
        None,
        ["id", "name", "type", "model"],
        ([t["id"], t["name"], t["type"], t["model_id"]] for t in items),
        empty=_none_said(type, search, starters=starters),
    )


@app.command("create")
def create_template(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="1 to 120 characters.")],
    type: Annotated[GenerationType, typer.Option("--type", "-t", help="The generation type.")],
    model: Annotated[str, typer.Option("--model", "-m", metavar="MODEL", help="Model id.")],
    prompt: Annotated[str, typer.Option("--prompt", metavar="TEXT", help="The prompt.")] = "",
    param: ParamOptions = None,
    description: Annotated[str, typer.Option("--description", "-d", metavar="TEXT")] = "",
    json: JsonFlag = False,
) -> None:
    """Save generation settings as a template; prints its id (or the template with --json).

    Sent once, as `projects create` is: a lost answer never makes a second template.
    """
    with open_client(ctx) as client:
        schema = client.get(model_path(model))
        body = {
            "name": name,
            "description": description,
            "type": type,
            "model_id": schema["id"],
            "prompt": prompt,
            "params": parse_params(param or [], schema["params"]),
        }
        template = post_once(client, f"{API}/templates", body)
    if json:
        print_json(template)
    else:
        print_line(template["id"])


@app.command("delete")
def delete_template(
    ctx: typer.Context,
    template: Annotated[str, typer.Argument(metavar="TEMPLATE", help="Its id or its name.")],
) -> None:
    """Delete one of your templates."""
    with open_client(ctx) as client:
        found = resolve_template(client, template, starters=False)
        client.delete(f"{API}/templates/{segment(found['id'])}")
    print_line(f"deleted template {found['id']} ({found['name']})")


def resolve_template(
    client: StudioClient, reference: str, *, starters: bool = True
) -> dict[str, Any]:
    """The template `reference` names: the id of one of yours, else (with `starters`) a
    starter template's id, else the exact name of one of yours."""
    try:
        return dict(client.get(f"{API}/templates/{segment(reference)}"))
    except CliError as exc:
        if exc.code not in (ExitCode.NOT_FOUND, ExitCode.USAGE):
            raise
    if starters:
        shipped = client.get(f"{API}/starter-templates")["items"]
        starter = next((s for s in shipped if s["id"] == reference), None)
        if starter is not None:
            return dict(starter)
    named = [
        t for t in client.list_all(f"{API}/templates", {"q": reference}) if t["name"] == reference
    ]
    if not named:
        raise CliError(f"no template with the id or name {reference!r}", ExitCode.NOT_FOUND)
    if len(named) > 1:
        ids = ", ".join(t["id"] for t in named)
        raise CliError(
            f"{len(named)} templates are named {reference!r}; pass one's id: {ids}", ExitCode.USAGE
        )
    return dict(named[0])


def _none_said(type: GenerationType | None, search: str | None, *, starters: bool) -> str:
    if starters:
        return f"No starter template for {type}." if type else "No starter templates."
    if search:
        return f"No template matches {search!r}."
    if type:
        return f"No template for {type} yet."
    return "No templates yet: `studio templates create NAME -t TYPE -m MODEL` saves one."
