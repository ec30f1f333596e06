# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Request and token budgets over a time window, enforced before a request leaves.

Two uses: each provider's `rate_limit` (a provider over it is treated like one that
answered 429: the router waits or falls back), and `features.ai_rate_limiting` (one
budget for every provider: a call over it fails with `rate_limit`).

The limits hold per worker process. Every method is synchronous and never awaits, so
concurrent calls of one event loop cannot interleave inside a check-and-reserve; a
deployment with several workers needs one shared limiter, which is what Kong's
rate-limiting plugins are (docs/kong.md).

`sliding` keeps the window in 60 buckets: a bucket's counts expire one bucket-width
late, so any window-long stretch of time holds at most the budget (the limiter errs on
the safe side by up to 1/60 of the window). `fixed` resets its counts at each window
boundary, like Kong's `fixed` window type; up to twice the budget can then pass in a
window-long stretch that straddles a boundary.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Strategy = Literal["sliding", "fixed"]

SLIDING_BUCKETS = 60


@dataclass
class _Bucket:
    key: int
    requests: int = 0
    tokens: int = 0


@dataclass(frozen=True)
class Reservation:
    """One admitted request: settle it with the tokens it really used."""

    bucket: int
    tokens: int


class RateLimiter:
    def __init__(
        self,
        *,
        request_limit: int | None = None,
        token_limit: int | None = None,
        window_seconds: float = 60.0,
        strategy: Strategy = "sliding",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.request_limit = request_limit
        self.token_limit = token_limit
        self.window_seconds = window_seconds
        self.strategy: Strategy = strategy
        self._clock = clock
        buckets = SLIDING_BUCKETS if strategy == "sliding" else 1
        self._width = window_seconds / buckets
        self._buckets: deque[_Bucket] = deque()

    @property
    def active(self) -> bool:
        return bool(self.request_limit or self.token_limit)

    def fits(self, tokens: int) -> bool:
        """Whether a request of `tokens` could ever pass (it may still have to wait)."""
        return not self.token_limit or tokens <= self.token_limit

    def describe(self) -> str:
        """The budget in words, e.g. `100 requests and 50000 tokens`."""
        parts = [f"{self.request_limit} requests"] if self.request_limit else []
        parts += [f"{self.token_limit} tokens"] if self.token_limit else []
        return " and ".join(parts) or "no limit"

    def usage(self) -> tuple[int, int]:
        """Requests and tokens counted against the window now."""
        self._expire(self._clock())
        return (
            sum(bucket.requests for bucket in self._buckets),
            sum(bucket.tokens for bucket in self._buckets),
        )

    def try_acquire(self, tokens: int) -> tuple[Reservation | None, float]:
        """Reserve one request of `tokens`: (reservation, 0), or (None, seconds to wait).

        The wait is infinite for a request larger than the whole token budget."""
        if not self.active:
            return Reservation(0, tokens), 0.0
        if not self.fits(tokens):
            return None, math.inf
        now = self._clock()
        self._expire(now)
        wait = self._wait_for(tokens, now)
        if wait > 0:
            return None, wait
        return self._record(tokens, now), 0.0

    def force_acquire(self, tokens: int) -> Reservation:
        """Count a request whatever the budget says (enforcement: log)."""
        now = self._clock()
        self._expire(now)
        return self._record(tokens, now)

    def settle(self, reservation: Reservation, actual: int) -> None:
        """Replace a reservation's estimate with the tokens actually used.

        Tokens beyond the estimate are charged now, in the current bucket: a long call
        whose own bucket has expired still counts against the window it ended in. An
        estimate that was too high is given back only while its bucket still counts."""
        if not self.token_limit or actual == reservation.tokens:
            return
        now = self._clock()
        self._expire(now)
        extra = actual - reservation.tokens
        if extra > 0:
            self._current(now).tokens += extra
            return
        for bucket in self._buckets:
            if bucket.key == reservation.bucket:
                bucket.tokens = max(0, bucket.tokens + extra)
                return

    # ------------------------------------------------------------------ internals

    def _key(self, now: float) -> int:
        return math.floor(now / self._width)

    def _expires_at(self, bucket: _Bucket) -> float:
        if self.strategy == "fixed":
            return (bucket.key + 1) * self._width
        # A bucket holds events from anywhere in its width; keeping it a whole window
        # after its end keeps each of them at least a window.
        return (bucket.key + 1) * self._width + self.window_seconds

    def _expire(self, now: float) -> None:
        while self._buckets and self._expires_at(self._buckets[0]) <= now:
            self._buckets.popleft()

    def _admits(self, requests: int, used: int, tokens: int) -> bool:
        if self.request_limit is not None and requests + 1 > self.request_limit:
            return False
        return self.token_limit is None or used + tokens <= self.token_limit

    def _wait_for(self, tokens: int, now: float) -> float:
        """Seconds until enough buckets expire for one more request of `tokens`."""
        requests = sum(bucket.requests for bucket in self._buckets)
        used = sum(bucket.tokens for bucket in self._buckets)
        wait = 0.0
        for bucket in self._buckets:
            if self._admits(requests, used, tokens):
                return wait
            requests -= bucket.requests
            used -= bucket.tokens
            wait = self._expires_at(bucket) - now
        return wait if self._admits(requests, used, tokens) else math.inf

    def _current(self, now: float) -> _Bucket:
        key = self._key(now)
        if not self._buckets or self._buckets[-1].key != key:
            self._buckets.append(_Bucket(key))
        return self._buckets[-1]

    def _record(self, tokens: int, now: float) -> Reservation:
        bucket = self._current(now)
        bucket.requests += 1
        bucket.tokens += tokens
        return Reservation(bucket.key, tokens)
