"""What every command shares: the target chosen by the global options, and common options."""

from dataclasses import dataclass
from typing import Annotated

import typer

from studio_cli.client import StudioClient
from studio_cli.config import Target, resolve_target

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]
ParamOptions = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-P",
        metavar="NAME=VALUE",
        help="NAME=VALUE, repeatable; typed by the model's schema (`studio model ID`).",
    ),
]
"""A model's parameters as `generate` and `templates create` take them (`studio_cli.params`)."""


@dataclass(frozen=True)
class GlobalOptions:
    """The global options as given. They become a :class:`Target` only when a command needs
    one: `--help`, `version` and Click's own usage errors come first, whatever the URL or the
    config file hold."""

    url: str | None
    token: str | None
    local: bool


def target_of(ctx: typer.Context) -> Target:
    options = ctx.find_object(GlobalOptions)
    if options is None:  # only when a command is invoked without the app's callback
        raise RuntimeError("the global options were not set up")
    return resolve_target(options.url, options.token, local=options.local)


def open_client(ctx: typer.Context) -> StudioClient:
    return StudioClient(target_of(ctx))
