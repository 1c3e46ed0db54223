"""Waiting for something another process or task does, without fixed sleeps.

Deadlines here are sized for a busy machine: `make test` on two cores shared with other work
runs every service of a stack in one event loop, so a step that takes a second on an idle
laptop can take ten. A deadline only bounds how long a *failing* test hangs; a passing one
returns as soon as its condition holds, so a generous deadline costs nothing.

`patience()` scales every deadline: ``STUDIO_TEST_PATIENCE`` (a factor, e.g. ``3``) when set,
otherwise how overloaded the machine is right now (1-minute load average per core, at least 1,
at most 4).
"""

import asyncio
import os
import time
from collections.abc import Awaitable, Callable

PATIENCE_ENV = "STUDIO_TEST_PATIENCE"
DEFAULT_WITHIN = 30.0
"""Seconds `eventually` waits when not told: generous, since only a failing test waits it out."""


def patience() -> float:
    """The factor deadlines are multiplied by (see the module docstring)."""
    if configured := os.environ.get(PATIENCE_ENV):
        return max(float(configured), 0.1)
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:  # no load average on this platform
        return 1.0
    return min(max(load, 1.0), 4.0)


class NotInTime(TimeoutError):
    """The condition did not hold in time (a TimeoutError, so callers may catch either)."""


async def eventually(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    within: float = DEFAULT_WITHIN,
    what: str = "",
) -> None:
    """Poll `condition` until it holds; raise :class:`NotInTime` after `within` seconds times
    `patience()`.

    Polls every 20 ms at first, backing off to every 0.5 s: a condition that makes requests
    (say, the status of 200 generations) must not itself become the load that slows the
    machine down.
    """
    limit = within * patience()
    deadline = time.monotonic() + limit
    delay = 0.02
    while True:
        try:
            async with asyncio.timeout(max(deadline - time.monotonic(), 0.0)):
                result = condition()
                if not isinstance(result, bool):
                    result = await result
        except TimeoutError:
            result = False
        if result:
            return
        if time.monotonic() >= deadline:
            described = f" ({what})" if what else ""
            raise NotInTime(f"condition{described} did not hold within {limit:.1f}s")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.5)
