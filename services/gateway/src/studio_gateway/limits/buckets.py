"""Rate limits: a token bucket per key (a user, an IP address, an account being signed in to).

A bucket holds up to `limit` units (requests, or bytes for uploads) and refills evenly over
`window_s`. Buckets live in the gateway process, so with several gateway instances each enforces
its own share; the limits are set per instance (docs/gateway.md). Idle buckets are dropped, so
memory follows the number of recently active callers."""

import time
from dataclasses import dataclass

from studio_runtime.errors import PayloadTooLarge, TooManyRequests


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, *, limit: int, window_s: float = 60.0, max_keys: int = 100_000) -> None:
        """`limit` units per `window_s` per key, in bursts of up to as many; 0 = no limit."""
        self.limit = limit
        self.window_s = window_s
        self._rate = limit / window_s
        self._buckets: dict[str, _Bucket] = {}
        self._max_keys = max_keys

    def wait_s(self, key: str, cost: float = 1, *, now: float | None = None) -> float:
        """Take `cost` units from `key`'s bucket: 0 if allowed (and taken), else the seconds
        until they would be (nothing taken)."""
        if self.limit <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = _Bucket(tokens=float(self.limit), updated=now)
        else:
            bucket.tokens = min(
                float(self.limit), bucket.tokens + (now - bucket.updated) * self._rate
            )
            bucket.updated = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (min(cost, self.limit) - bucket.tokens) / self._rate

    def check(self, key: str, what: str, cost: float = 1) -> None:
        """Raise 429 with `Retry-After` when `key` is over its limit, 413 when `cost` alone is
        (waiting would never help)."""
        if 0 < self.limit < cost:
            raise PayloadTooLarge(
                f"Too many {what} at once: {cost:,.0f} is more than the whole limit of "
                f"{self.limit:,} {self._per()}.",
                headers={"Connection": "close"},
            )
        wait = self.wait_s(key, cost)
        if wait > 0:
            raise TooManyRequests(
                f"Too many {what}: the limit is {self.limit:,} {self._per()}. "
                f"Try again in {max(1, round(wait))} s.",
                retry_after_s=wait,
            )

    def _per(self) -> str:
        return "a minute" if self.window_s == 60 else f"per {self.window_s:g} s"

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled completely: they hold no information."""
        for key in [k for k, b in self._buckets.items() if now - b.updated >= self.window_s]:
            del self._buckets[key]
        if len(self._buckets) >= self._max_keys:
            self._buckets.clear()
