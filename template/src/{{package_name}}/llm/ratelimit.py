# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Client-side rate limits per provider: requests and tokens per rolling minute.

A provider over its limit is treated like one that answered 429: the router retries
after the wait (if short enough) or falls back, without sending anything.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0


class RateLimiter:
    def __init__(
        self,
        requests_per_minute: int | None,
        tokens_per_minute: int | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.requests_per_minute = requests_per_minute
        self.tokens_per_minute = tokens_per_minute
        self._clock = clock
        self._requests: deque[float] = deque()
        self._tokens: deque[tuple[float, int]] = deque()

    @property
    def active(self) -> bool:
        return bool(self.requests_per_minute or self.tokens_per_minute)

    def _trim(self, now: float) -> None:
        while self._requests and now - self._requests[0] >= WINDOW_SECONDS:
            self._requests.popleft()
        while self._tokens and now - self._tokens[0][0] >= WINDOW_SECONDS:
            self._tokens.popleft()

    def try_acquire(self, tokens: int) -> float:
        """Reserve one request of `tokens`; return 0, or the seconds to wait when over."""
        if not self.active:
            return 0.0
        now = self._clock()
        self._trim(now)
        waits = [0.0]
        if self.requests_per_minute and len(self._requests) >= self.requests_per_minute:
            waits.append(self._requests[0] + WINDOW_SECONDS - now)
        if self.tokens_per_minute:
            used = sum(count for _, count in self._tokens)
            if self._tokens and used + tokens > self.tokens_per_minute:
                waits.append(self._tokens[0][0] + WINDOW_SECONDS - now)
        wait = max(waits)
        if wait > 0:
            return wait
        self._requests.append(now)
        self._tokens.append((now, tokens))
        return 0.0

    def settle(self, estimated: int, actual: int) -> None:
        """Replace the estimate of the latest reservation with the tokens actually used."""
        if self.tokens_per_minute and self._tokens and actual != estimated:
            stamp, _ = self._tokens[-1]
            self._tokens[-1] = (stamp, actual)
