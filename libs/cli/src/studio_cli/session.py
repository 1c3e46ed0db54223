"""What every command shares: the target chosen by the global options, and common options."""

from typing import Annotated

import typer

from studio_cli.client import StudioClient
from studio_cli.config import Target

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def target_of(ctx: typer.Context) -> Target:
    target = ctx.find_object(Target)
    if target is None:  # only when a command is invoked without the app's callback
        raise RuntimeError("the studio target was not set up")
    return target


def open_client(ctx: typer.Context) -> StudioClient:
    return StudioClient(target_of(ctx))
