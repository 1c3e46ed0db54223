"""An error in a background task is recorded against the test it surfaced in and logged; it
does not travel through the event loop all tests share (tests/support/task_errors.py)."""

import asyncio
import gc

import nats.errors
import pytest
from fastapi import FastAPI

from tests.support import task_errors
from tests.support.apps import running
from tests.support.waiting import eventually


async def test_an_unretrieved_task_error_is_recorded_against_the_running_test(
    request: pytest.FixtureRequest,
) -> None:
    before = len(task_errors.errors)

    async def bind() -> None:
        raise nats.errors.ConnectionClosedError

    task = asyncio.create_task(bind())
    await asyncio.wait({task})
    del task
    gc.collect()  # "Task exception was never retrieved" is reported when the task goes
    await eventually(lambda: len(task_errors.errors) > before, within=5)
    [error] = task_errors.errors[before:]
    del task_errors.errors[before:]  # handled here: not one for the end-of-run list
    assert error.test == request.node.nodeid
    assert error.phase == "call"
    assert isinstance(error.exception, nats.errors.ConnectionClosedError)
    assert "bind" in error.message
    assert not error.shutdown_noise, "outside teardown, a lost connection is worth a look"


def test_a_lost_connection_during_teardown_is_shutdown_noise() -> None:
    noise = task_errors.BackgroundError("t", "teardown", "m", nats.errors.ConnectionClosedError())
    real = task_errors.BackgroundError("t", "teardown", "m", KeyError("x"))
    assert noise.shutdown_noise
    assert not real.shutdown_noise


def test_failing_on_task_errors_is_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    error = task_errors.BackgroundError("some::test", "call", "m", KeyError("x"))
    monkeypatch.setattr(task_errors, "errors", [error])
    assert task_errors.failure_for("some::test") is None
    monkeypatch.setenv(task_errors.FAIL_ENV, "fail")
    failure = task_errors.failure_for("some::test")
    assert failure is not None
    assert "KeyError" in failure
    assert task_errors.failure_for("other::test") is None


def test_the_handler_never_raises() -> None:
    class Unprintable:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    loop = asyncio.new_event_loop()
    try:
        task_errors.handle(loop, {"message": "x", "task": Unprintable()})
    finally:
        loop.close()


async def test_an_app_that_fails_to_start_fails_its_test_not_the_session() -> None:
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        raise nats.errors.ConnectionClosedError
        yield

    app = FastAPI(title="broken", lifespan=lifespan)
    # uvicorn answers a failed start-up with sys.exit(); that must arrive as an ordinary error.
    with pytest.raises(RuntimeError, match="broken did not start"):
        async with running(app):
            pass
