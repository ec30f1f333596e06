# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""A per-provider circuit breaker: stop calling a provider that keeps failing, then probe it.

closed --(failure_threshold consecutive failures)--> open
open --(cooldown_seconds elapsed)--> half-open: exactly one trial request goes through
half-open --(trial succeeds)--> closed, --(trial fails)--> open again,
          --(trial released: cancelled, or ended by an error that says nothing about
             the provider)--> half-open, and the next caller gets the trial

Every admitted request holds a `Permit` and settles it exactly once (success, failure
or release), whatever ends the request: the router settles it in a `finally`, so a
cancelled or crashed trial can never keep the breaker half-open with no one probing.
A permit remembers the breaker's epoch (how many times it has opened): outcomes of
requests admitted before the latest opening are stale and change nothing, so a slow
success that started before the outage cannot close an open breaker, and a slow
failure cannot reopen one that a trial has just closed.
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


class Permit:
    """The right to send one request; settle it once with the breaker that issued it."""

    __slots__ = ("epoch", "settled", "trial")

    def __init__(self, epoch: int, trial: bool) -> None:
        self.epoch = epoch
        self.trial = trial
        self.settled = False


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
        self._epoch = 0
        self._trial: Permit | None = None
        self.transitions = 0
        self.refusals = 0

    @property
    def state(self) -> BreakerState:
        """The current state; an open breaker whose cooldown has elapsed reads as half-open."""
        if self._state is BreakerState.OPEN and self._cooldown_over():
            self._set(BreakerState.HALF_OPEN)
        return self._state

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    @property
    def trial_in_flight(self) -> bool:
        return self._trial is not None

    @property
    def openings(self) -> int:
        """How many times the breaker has opened."""
        return self._epoch

    def seconds_until_trial(self) -> float:
        if self.state is not BreakerState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown_seconds - self._clock())

    def acquire(self) -> Permit | None:
        """A permit to send one request, or None while the breaker refuses traffic."""
        if not self.enabled:
            return Permit(self._epoch, trial=False)
        state = self.state
        if state is BreakerState.CLOSED:
            return Permit(self._epoch, trial=False)
        if state is BreakerState.HALF_OPEN and self._trial is None:
            self._trial = Permit(self._epoch, trial=True)
            return self._trial
        self.refusals += 1
        return None

    def record_success(self, permit: Permit) -> None:
        if not self._settle(permit):
            return
        if permit is self._trial:
            self._trial = None
            self._failures = 0
            self._set(BreakerState.CLOSED)
        elif self._state is BreakerState.CLOSED:
            self._failures = 0

    def record_failure(self, permit: Permit) -> None:
        if not self._settle(permit):
            return
        if permit is self._trial:
            self._trial = None
            self._open()
        elif self._state is BreakerState.CLOSED:
            self._failures += 1
            if self._failures >= self.failure_threshold:
                self._open()

    def release(self, permit: Permit) -> None:
        """Settle a request that says nothing about the provider's health (cancelled,
        throttled on our side, a bad request): a released trial frees the slot."""
        if self._settle(permit) and permit is self._trial:
            self._trial = None

    def _settle(self, permit: Permit) -> bool:
        """Mark the permit used; True if its outcome still applies to this breaker."""
        if permit.settled:
            return False
        permit.settled = True
        return self.enabled and permit.epoch == self._epoch

    def _open(self) -> None:
        self._epoch += 1
        self._failures = 0
        self._opened_at = self._clock()
        self._set(BreakerState.OPEN)

    def _cooldown_over(self) -> bool:
        return self._clock() - self._opened_at >= self.cooldown_seconds

    def _set(self, state: BreakerState) -> None:
        if state is not self._state:
            self._state = state
            self.transitions += 1
            if self._on_change is not None:
                self._on_change(state)
