"""Errors of background tasks: recorded, logged and reported, never let loose on the session.

Every service of a test stack runs in the one event loop that all tests share (pytest-asyncio's
session loop). An exception nobody awaits (a consumer still binding when its connection closes
during teardown: ``nats: connection closed``) reaches the loop's exception handler, and a
``SystemExit`` raised in a task (uvicorn exits when an app fails to start) goes through the
loop into whatever test or fixture happens to be running. :mod:`tests.support.apps` turns the
latter into an ordinary error; this module handles the former:

* each error is recorded against the test (and phase) running when it surfaced, and logged
  (pytest shows the log with that test's report when it fails);
* the run ends with a list of them (see the conftest's terminal summary);
* with ``STUDIO_TEST_TASK_ERRORS=fail`` the test an error surfaced in fails, except for a lost
  connection while the test was being torn down, which is what shutting a stack down does.

An error is attributed to the test running when the loop reports it. "Task exception was never
retrieved" is reported when the task is garbage collected, possibly a test later; its message
names the task, which says where it came from.
"""

import asyncio
import logging
import os
import traceback
from dataclasses import dataclass
from typing import Any

import nats.errors

FAIL_ENV = "STUDIO_TEST_TASK_ERRORS"
_SHUTDOWN_ERRORS = (
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionDrainingError,
    asyncio.CancelledError,
)
_MAX_LISTED = 30

log = logging.getLogger("tests.background")


@dataclass(frozen=True)
class BackgroundError:
    test: str
    phase: str
    message: str
    exception: BaseException | None

    @property
    def shutdown_noise(self) -> bool:
        """A lost connection while a stack was being torn down."""
        return self.phase == "teardown" and isinstance(self.exception, _SHUTDOWN_ERRORS)

    def describe(self) -> str:
        where = f"{self.test} ({self.phase})" if self.test else self.phase
        what = (
            f"{type(self.exception).__name__}: {self.exception}"
            if self.exception is not None
            else "no exception"
        )
        return f"{where}: {what} -- {self.message}"


errors: list[BackgroundError] = []
_now = {"test": "", "phase": "before the first test"}


def now_running(test: str, phase: str) -> None:
    """Note which test (node id) and phase errors surfacing from now on belong to."""
    _now.update(test=test, phase=phase)


def watch(loop: asyncio.AbstractEventLoop) -> None:
    """Install the recording exception handler on ``loop``."""
    loop.set_exception_handler(handle)


def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loop's exception handler. It must never raise itself."""
    try:
        exception = context.get("exception")
        source = context.get("task") or context.get("future") or context.get("handle")
        message = str(context.get("message") or "unhandled error in the event loop")
        if source is not None:
            message = f"{message}: {source!r}"[:400]
        error = BackgroundError(
            _now["test"],
            _now["phase"],
            message,
            exception if isinstance(exception, BaseException) else None,
        )
        errors.append(error)
        trace = (
            "".join(traceback.format_exception(error.exception))
            if error.exception is not None
            else ""
        )
        log.warning("background task error: %s\n%s", error.describe(), trace)
    except Exception:  # the last resort must not become the next problem
        pass


def failure_for(test: str) -> str | None:
    """Why ``test`` fails because of its background errors, when failing on them is asked for
    (``STUDIO_TEST_TASK_ERRORS=fail``); None otherwise."""
    if os.environ.get(FAIL_ENV) != "fail":
        return None
    own = [e for e in errors if e.test == test and not e.shutdown_noise]
    if not own:
        return None
    lines = [f"{len(own)} error(s) in background tasks ({FAIL_ENV}=fail):"]
    for error in own:
        lines.append(error.describe())
        if error.exception is not None:
            lines.append("".join(traceback.format_exception(error.exception)))
    return "\n".join(lines)


def summary() -> list[str]:
    """One line per recorded error (the first few), for the end of the run."""
    lines = [error.describe() for error in errors[:_MAX_LISTED]]
    if len(errors) > _MAX_LISTED:
        lines.append(f"... and {len(errors) - _MAX_LISTED} more (see the logs of those tests)")
    return lines
