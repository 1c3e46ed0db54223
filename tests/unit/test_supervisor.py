"""`make run`'s supervisor: when a crashed service is restarted, when it is given up, and the
copying of a service's output."""

import asyncio

import pytest
from studio_devtools.supervisor import RestartPolicy, _exit, _pump


def test_restarts_back_off_exponentially_then_give_up_on_the_fifth_crash_in_a_minute() -> None:
    policy = RestartPolicy()
    delays = [policy.crashed(now=t) for t in (0.0, 1.0, 3.0, 6.0)]
    assert delays == [0.5, 1.0, 2.0, 4.0]
    assert policy.recent == 4
    assert policy.crashed(now=12.0) is None


def test_crashes_spread_out_never_give_up_and_the_backoff_starts_over() -> None:
    policy = RestartPolicy()
    for minute in range(10):
        assert policy.crashed(now=minute * 61.0) == 0.5
    assert policy.recent == 1


def test_only_crashes_within_the_window_count() -> None:
    policy = RestartPolicy(max_crashes=3, window_s=10)
    assert policy.crashed(now=0.0) == 0.5
    assert policy.crashed(now=5.0) == 1.0
    assert policy.crashed(now=11.0) == 1.0  # the one at 0 s has left the window
    assert policy.crashed(now=12.0) is None


def test_the_delay_is_capped() -> None:
    policy = RestartPolicy(max_crashes=100, max_delay_s=3.0)
    assert [policy.crashed(now=float(t)) for t in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_exit_codes_name_the_signal() -> None:
    assert _exit(-9) == "exited with code -9 (SIGKILL)"
    assert _exit(1) == "exited with code 1"


async def test_output_is_copied_with_a_prefix_even_past_the_line_limit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    stream = asyncio.StreamReader(limit=1024)
    huge = "x" * 200_000  # longer than any reader limit: readline() would fail on it
    stream.feed_data(f"one\n{huge}\ntwo\nunfinished".encode())
    stream.feed_eof()
    await _pump(stream, "svc | ")
    out = capsys.readouterr().out
    assert out.startswith("svc | one\nsvc | x")
    assert out.replace("\nsvc | ", "").count("x") == len(huge)
    assert out.endswith("svc | two\nsvc | unfinished\n")
