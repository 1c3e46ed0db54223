"""One retry policy for every service, built on `stamina` (exponential backoff with jitter).

Two shapes cover what the services need:

- `until_it_works`: a start-up or background step that must eventually succeed (index creation,
  binding a consumer to a stream that another service declares, reconnecting a live feed). It
  retries for ever, logging each failure, with a backoff capped at `wait_max_s`.
- `a_few_times`: one call worth repeating a bounded number of times (a request to a provider);
  the caller's hook may name the wait (a `Retry-After`) or refuse to retry.

`stamina.set_testing(True)` turns every retry off at once (tests that want one attempt). Every
retry is counted in Prometheus (`stamina_retries_total`); the log line is ours, named for the
step (`indexes.retrying`), instead of stamina's generic one.
"""

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import stamina
import structlog

log = structlog.get_logger(__name__)

stamina.instrumentation.set_on_retry_hooks([stamina.instrumentation.PrometheusOnRetryHook])

T = TypeVar("T")

Retryable = (
    type[Exception]
    | tuple[type[Exception], ...]
    | Callable[[Exception], bool | float | dt.timedelta]
)
"""What to retry: exception types, or a hook that says yes, no, or how long to wait."""


async def until_it_works(
    step: Callable[[], Awaitable[T]],
    *,
    what: str,
    on: Retryable = Exception,
    wait_initial_s: float = 0.1,
    wait_max_s: float = 5.0,
) -> T:
    """Run `step` until it returns; every failure matching `on` is logged as `{what}.retrying`
    and retried after a growing wait. Anything else propagates at once."""
    async for attempt in _attempts(on, None, wait_initial_s, wait_max_s):
        with attempt:
            try:
                return await step()
            except Exception as exc:
                if _cancel_swallowed():
                    # The task was cancelled mid-step and a library ate the cancel (nats-py's
                    # publish path does): honour it here instead of retrying for ever.
                    raise asyncio.CancelledError(f"{what} stopped") from exc
                if _matches(on, exc):
                    log.warning(f"{what}.retrying", attempt=attempt.num, error=str(exc))
                raise
    raise AssertionError("unreachable: retries for ever")  # pragma: no cover


def a_few_times(
    on: Retryable, *, attempts: int, wait_initial_s: float = 0.5, wait_max_s: float = 10.0
) -> AsyncIterator[stamina.Attempt]:
    """`async for attempt in a_few_times(...): with attempt: ...`, at most `attempts` tries,
    no overall deadline (the caller's own timeouts bound each try)."""
    return _attempts(on, attempts, wait_initial_s, wait_max_s)


def _attempts(
    on: Retryable, attempts: int | None, wait_initial_s: float, wait_max_s: float
) -> AsyncIterator[stamina.Attempt]:
    # Jitter as large as the first wait: enough to spread many clients, never a second on top
    # of a 0.1 s wait (stamina's default).
    return stamina.retry_context(
        on=on,
        attempts=attempts,
        timeout=None,
        wait_initial=wait_initial_s,
        wait_max=wait_max_s,
        wait_jitter=wait_initial_s,
    ).__aiter__()


def _matches(on: Retryable, exc: Exception) -> bool:
    if isinstance(on, type | tuple):
        return isinstance(exc, on)
    return bool(on(exc))


def _cancel_swallowed() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
