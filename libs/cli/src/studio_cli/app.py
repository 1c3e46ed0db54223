"""The `studio` command: global options, the command groups, and the one place errors become
messages on stderr and exit codes (see `studio_cli.errors`)."""

import sys
from typing import Annotated

import typer

from studio_cli import VERSION
from studio_cli.commands import assets, auth, events, generate, models, projects
from studio_cli.config import DEFAULT_URL
from studio_cli.errors import CliError, ExitCode
from studio_cli.output import print_error, print_line
from studio_cli.session import GlobalOptions

app = typer.Typer(
    help="AI Studio from a terminal: models, projects, generations, assets, live events.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Click's plain help, not Typer's Rich panels: those give every flag a type (`--json
    # <bool>`), as if it took a value. Inherited by the command groups; each option that takes
    # a value names it (`--param NAME=VALUE`), not its Python type.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(projects.app, name="projects")
app.add_typer(assets.app, name="assets")
app.command("models")(models.list_models)
app.command("model")(models.show_model)
app.command("generate")(generate.generate)
app.command("events")(events.tail_events)
app.command("login")(auth.login)
app.command("logout")(auth.logout)
app.command("whoami")(auth.whoami)


@app.callback()
def main(
    ctx: typer.Context,
    url: Annotated[
        str | None,
        typer.Option(
            envvar="STUDIO_URL",
            metavar="URL",
            help=f"The studio's gateway [default: the URL of the last login, else {DEFAULT_URL}]",
            show_default=False,
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="STUDIO_TOKEN",
            metavar="TOKEN",
            help="API token (sst_…) [default: the one `studio login` stored for the URL]",
            show_default=False,
        ),
    ] = None,
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help=f"Local mode: no credentials, {DEFAULT_URL} unless --url (a `make run` studio).",
        ),
    ] = False,
) -> None:
    """AI Studio from a terminal."""
    # Resolved by the command that needs it (`session.target_of`), not here: this runs before
    # the command's own options are read, so a bad URL would hide `--help`.
    ctx.obj = GlobalOptions(url, token, local)


@app.command()
def version() -> None:
    """Print the client's version."""
    print_line(f"studio-cli {VERSION}")


def run() -> None:
    try:
        app()
    except CliError as error:
        print_error(error)
        sys.exit(error.code)
    except KeyboardInterrupt:
        sys.exit(ExitCode.INTERRUPTED)
