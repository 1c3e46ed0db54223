"""Rate limits: a token bucket per key (a user, an IP address, an account being signed in to).

Buckets live in the gateway process, so with several gateway instances each enforces its own
share; the limits are set per instance (docs/gateway.md). Idle buckets are dropped, so memory
follows the number of recently active callers."""

import time
from dataclasses import dataclass

from studio_runtime.errors import TooManyRequests


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, *, per_minute: int, max_keys: int = 100_000) -> None:
        """`per_minute` requests a minute per key, in bursts of up to as many; 0 = no limit."""
        self.per_minute = per_minute
        self._rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}
        self._max_keys = max_keys

    def wait_s(self, key: str, *, now: float | None = None) -> float:
        """Take one request from `key`'s bucket: 0 if allowed, else seconds until it would be."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.per_minute), updated=now)
        else:
            bucket.tokens = min(
                float(self.per_minute), bucket.tokens + (now - bucket.updated) * self._rate
            )
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self._rate

    def check(self, key: str, what: str) -> None:
        """Raise 429 with `Retry-After` when `key` is over its limit."""
        wait = self.wait_s(key)
        if wait > 0:
            raise TooManyRequests(
                f"Too many {what}: the limit is {self.per_minute} a minute. "
                f"Try again in {max(1, round(wait))} s.",
                retry_after_s=wait,
            )

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled completely: they hold no information."""
        full_after = self.per_minute / self._rate
        for key in [k for k, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()
