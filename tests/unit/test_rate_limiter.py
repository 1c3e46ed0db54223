"""The token bucket behind every per-user and per-address limit."""

import pytest
from studio_gateway.limits.buckets import RateLimiter
from studio_runtime.errors import TooManyRequests


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_a_burst_up_to_the_limit_then_refill_at_the_limits_rate(clock: Clock) -> None:
    limiter = RateLimiter(limit=3, clock=clock)  # 3 a minute: one every 20 s
    assert [limiter.wait_s("u") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_s("u") == pytest.approx(20.0)
    clock.now = 10.0
    assert limiter.wait_s("u") == pytest.approx(10.0)  # refused: nothing taken
    clock.now = 20.0
    assert limiter.wait_s("u") == 0.0
    assert limiter.wait_s("other") == 0.0  # keys are separate


def test_costs_in_bytes_over_an_hour(clock: Clock) -> None:
    limiter = RateLimiter(limit=3600, window_s=3600, clock=clock)  # one byte a second
    assert limiter.wait_s("u", cost=3000) == 0.0
    assert limiter.wait_s("u", cost=1000) == pytest.approx(400.0)
    clock.now = 400.0
    assert limiter.wait_s("u", cost=1000) == 0.0


def test_more_than_the_whole_bucket_waits_for_a_full_bucket_not_for_ever(clock: Clock) -> None:
    limiter = RateLimiter(limit=100, window_s=100, clock=clock)
    limiter.wait_s("k", cost=100)
    assert limiter.wait_s("k", cost=500) == pytest.approx(100.0)


def test_zero_means_no_limit_and_check_raises_429_with_retry_after() -> None:
    unlimited = RateLimiter(limit=0)
    assert all(unlimited.wait_s("u") == 0.0 for _ in range(10_000))
    limiter = RateLimiter(limit=1)
    limiter.check("u", "requests")
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("u", "requests")
    assert refused.value.status == 429
    assert int(refused.value.headers["Retry-After"]) >= 59
    assert "the limit is 1 a minute" in refused.value.detail


def test_the_wait_in_the_detail_is_the_retry_after_header(clock: Clock) -> None:
    limiter = RateLimiter(limit=5, clock=clock)  # one every 12 s
    for _ in range(5):
        limiter.check("u", "sign-in attempts")
    clock.now = 4.6  # 7.4 s to wait: the header rounds up to 8, and so must the detail
    with pytest.raises(TooManyRequests) as refused:
        limiter.check("u", "sign-in attempts")
    assert refused.value.headers["Retry-After"] == "8"
    assert refused.value.detail.endswith("Try again in 8 s.")


def test_a_full_table_drops_the_least_recently_used_bucket_not_every_bucket(
    clock: Clock,
) -> None:
    limiter = RateLimiter(limit=1, max_keys=2, clock=clock)
    limiter.wait_s("a")
    limiter.wait_s("b")
    limiter.wait_s("c")  # the table is full: "a", used least recently, is dropped
    assert limiter.wait_s("b") > 0  # still remembered: its one request is spent
    assert limiter.wait_s("a") == 0.0


def test_an_idle_bucket_is_forgotten_once_it_would_be_full_again(clock: Clock) -> None:
    limiter = RateLimiter(limit=1, clock=clock)
    limiter.wait_s("a")
    clock.now = 60.0
    assert "a" not in limiter._buckets
    assert limiter.wait_s("a") == 0.0
