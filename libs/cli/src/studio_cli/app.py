"""The `studio` command: global options, the command groups, and the one place errors become
messages on stderr and exit codes (see `studio_cli.errors`)."""

import sys
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from studio_cli import VERSION
from studio_cli.commands import assets, auth, events, generate, models, projects, templates
from studio_cli.config import DEFAULT_URL
from studio_cli.errors import CliError, ExitCode
from studio_cli.output import print_error, print_line
from studio_cli.session import GlobalOptions


class _StudioGroup(TyperGroup):
    """The root command. Typer checks an option's value with pydantic and shows pydantic's
    message as is ("Value error, 'bogus' is not one of …", "Input should be greater than or
    equal to 1"): reworded here, once for every command, as the sentences the CLI writes."""

    # `ctx` is the Click context Typer's own invoke takes; its class is private to Typer.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            if isinstance(exc.__cause__, ValidationError):
                errors = exc.__cause__.errors(include_url=False)
                if errors:
                    exc.message = _plain(errors[0])
            raise


_WORDING: dict[str, Callable[[Mapping[str, Any], Any], str]] = {
    "greater_than_equal": lambda c, v: f"Must be at least {c['ge']}, not {v}.",
    "greater_than": lambda c, v: f"Must be more than {c['gt']}, not {v}.",
    "less_than_equal": lambda c, v: f"Must be at most {c['le']}, not {v}.",
    "less_than": lambda c, v: f"Must be less than {c['lt']}, not {v}.",
    "int_parsing": lambda _, v: f"{v!r} is not a whole number.",
    "int_from_float": lambda _, v: f"{v!r} is not a whole number.",
    "float_parsing": lambda _, v: f"{v!r} is not a number.",
    "bool_parsing": lambda _, v: f"{v!r} is neither true nor false.",
}


def _plain(error: Mapping[str, Any]) -> str:
    """One of pydantic's errors about an option's value, in the CLI's words."""
    word = _WORDING.get(str(error.get("type")))
    if word is not None:
        return word(error.get("ctx") or {}, error.get("input"))
    # Typer's own checks (a choice not among the allowed ones) say it well, after the prefix.
    return str(error.get("msg", "")).removeprefix("Value error, ")


app = typer.Typer(
    help="AI Studio from a terminal: models, projects, generations, assets, live events.",
    cls=_StudioGroup,
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
app.add_typer(templates.app, name="templates")
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
