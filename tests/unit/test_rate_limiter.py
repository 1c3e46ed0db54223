"""The token bucket behind every per-user and per-address limit."""

import pytest
from studio_gateway.limits import RateLimiter
from studio_runtime.errors import TooManyRequests


def test_a_burst_up_to_the_limit_then_refill_at_the_limits_rate() -> None:
    limiter = RateLimiter(limit=3)  # 3 a minute: one every 20 s
    assert [limiter.wait_s("u", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_s("u", now=0.0) == pytest.approx(20.0)
    assert limiter.wait_s("u", now=10.0) == pytest.approx(10.0)  # refused: nothing taken
    assert limiter.wait_s("u", now=20.0) == 0.0
    assert limiter.wait_s("other", now=20.0) == 0.0  # keys are separate


def test_costs_in_bytes_over_an_hour() -> None:
    limiter = RateLimiter(limit=3600, window_s=3600)  # one byte a second
    assert limiter.wait_s("u", cost=3000, now=0.0) == 0.0
    assert limiter.wait_s("u", cost=1000, now=0.0) == pytest.approx(400.0)
    assert limiter.wait_s("u", cost=1000, now=400.0) == 0.0
    # More than the whole bucket: refused until the bucket is full, not for ever.
    fresh = RateLimiter(limit=100, window_s=100)
    fresh.wait_s("k", cost=100, now=0.0)
    assert fresh.wait_s("k", cost=500, now=0.0) == pytest.approx(100.0)


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


def test_idle_buckets_are_forgotten_when_the_table_is_full() -> None:
    limiter = RateLimiter(limit=5, max_keys=2)
    limiter.wait_s("a", now=0.0)
    limiter.wait_s("b", now=0.0)
    limiter.wait_s("c", now=120.0)  # a and b have refilled: dropped
    assert limiter.wait_s("c", now=120.0) == 0.0
