"""`until_it_works`: retries a failing step for ever, but never outlives its task's cancel."""

import asyncio
import contextlib

import pytest
from studio_runtime.retrying import until_it_works


async def test_a_step_that_fails_is_tried_until_it_works() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise ConnectionError("not yet")
        return "done"

    assert await until_it_works(flaky, what="test.flaky", wait_initial_s=0.001) == "done"
    assert calls == 3


async def test_a_cancel_a_step_swallowed_still_stops_the_retries() -> None:
    """nats-py's publish path catches `CancelledError` and goes on: a consumer cancelled while
    binding then failed with "connection closed" at every retry, for as long as the process
    lived, after its service had stopped."""
    entered = asyncio.Event()
    calls = 0

    async def swallows_the_cancel() -> None:
        nonlocal calls
        calls += 1
        entered.set()
        if calls > 1:
            await asyncio.sleep(60)  # (a retry: only reached when the cancel was lost)
        with contextlib.suppress(asyncio.CancelledError):  # what the library does
            await asyncio.sleep(60)
        raise ConnectionError("nats: connection closed")

    task = asyncio.create_task(
        until_it_works(swallows_the_cancel, what="test.bind", wait_initial_s=0.001, wait_max_s=0.01)
    )
    await entered.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=10)
    assert task in done, "still retrying after its task was cancelled"
    assert task.cancelled()
    assert calls == 1


async def test_an_error_the_policy_does_not_cover_stops_at_once() -> None:
    async def refused() -> None:
        raise ValueError("bad configuration")

    with pytest.raises(ValueError, match="bad configuration"):
        await until_it_works(refused, what="test.refused", on=ConnectionError)
