"""Entry point of the `studio` command (`studio_cli.app` is the command itself).

Importing the command takes most of a second (Typer, Rich, httpx, pydantic): a Ctrl-C in that
time must end the command as quietly as one later, not with a traceback of the import.
"""

import signal
import sys
from types import FrameType

_INTERRUPTED = 130
"""`ExitCode.INTERRUPTED`, which cannot be imported yet: `studio_cli.errors` needs httpx."""


def run() -> None:
    signal.signal(signal.SIGINT, _exit_interrupted)
    # Imported here, after the handler is in place: that is the point of this module.
    from studio_cli.app import run as run_app

    # From here on, Ctrl-C is a KeyboardInterrupt again, which the commands handle (a
    # generation being followed says how to find it again).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    run_app()


def _exit_interrupted(_signal: int, _frame: FrameType | None) -> None:
    sys.exit(_INTERRUPTED)
