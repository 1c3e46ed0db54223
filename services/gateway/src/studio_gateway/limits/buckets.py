"""Rate limits: a token bucket per key (a user, an IP address, an account being signed in to).

A bucket holds up to `limit` units (requests, or bytes for uploads) and refills evenly over
`window_s`. Buckets live in the gateway process, so with several gateway instances each enforces
its own share; the limits are set per instance (docs/gateway.md). A bucket left alone for
`window_s` is full again and holds no information, so it is dropped then (a TTL cache); when the
table is full of active buckets, the least recently used goes first, never all of them."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from cachetools import TTLCache
from studio_runtime.errors import PayloadTooLarge, TooManyRequests, wait_seconds


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(
        self,
        *,
        limit: int,
        window_s: float = 60.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`limit` units per `window_s` per key, in bursts of up to as many; 0 = no limit."""
        self.limit = limit
        self.window_s = window_s
        self._rate = limit / window_s
        self._clock = clock
        self._buckets: TTLCache[str, _Bucket] = TTLCache(
            maxsize=max_keys, ttl=window_s, timer=clock
        )

    def wait_s(self, key: str, cost: float = 1) -> float:
        """Take `cost` units from `key`'s bucket: 0 if allowed (and taken), else the seconds
        until they would be (nothing taken)."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.limit), updated=now)
        else:
            bucket.tokens = min(
                float(self.limit), bucket.tokens + (now - bucket.updated) * self._rate
            )
            bucket.updated = now
        self._buckets[key] = bucket  # (re)starts its time to live
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
                f"Try again in {wait_seconds(wait)} s.",
                retry_after_s=wait,
            )

    def _per(self) -> str:
        return "a minute" if self.window_s == 60 else f"per {self.window_s:g} s"
