"""A per-provider circuit breaker: stop calling a provider that keeps failing, then probe it.

closed --(failure_threshold consecutive failures)--> open
open --(cooldown_seconds elapsed)--> half-open: exactly one trial request goes through
half-open --(trial succeeds)--> closed, --(trial fails)--> open again
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

Clock = Callable[[], float]


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int,
        cooldown_seconds: float,
        *,
        enabled: bool = True,
        clock: Clock = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.cooldown_seconds = cooldown_seconds
        self.enabled = enabled
        self._clock = clock
        self._on_change = on_change
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose cooldown has elapsed reads as half-open."""
        if self._state is BreakerState.OPEN and self._cooldown_over():
            self._set(BreakerState.HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def seconds_until_trial(self) -> float:
        if self._state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_seconds - self._clock())

    def allow(self) -> bool:
        """Ask to send one request. In half-open state only the first caller gets through."""
        if not self.enabled:
            return True
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._trial_in_flight = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._trial_in_flight = False
        if self._state is not BreakerState.CLOSED:
            self._set(BreakerState.CLOSED)

    def record_failure(self) -> None:
        if not self.enabled:
            return
        self._failures += 1
        was_trial = self._trial_in_flight
        self._trial_in_flight = False
        if was_trial or self._failures >= self.failure_threshold:
            self._opened_at = self._clock()
            self._set(BreakerState.OPEN)

    def release(self) -> None:
        """Give back a half-open trial that ended without saying anything about health."""
        self._trial_in_flight = False

    def _cooldown_over(self) -> bool:
        return self._clock() - self._opened_at >= self.cooldown_seconds

    def _set(self, state: BreakerState) -> None:
        if state is not self._state:
            self._state = state
            if self._on_change is not None:
                self._on_change(state)
