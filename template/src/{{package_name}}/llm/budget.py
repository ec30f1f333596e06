# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Spending caps of `features.cost_tracking.budget`: per agent run and per UTC day.

A call is refused before it starts once the run or the day has spent its budget; the
call that crosses a budget completes (its cost is only known from its answer). Each call
holds its estimated cost (prompt estimate and max_tokens at its price) until it ends, so
calls running side by side cannot all start on the same remaining budget.

The run's spending comes from two places, and the larger wins: what the agent says it
has spent (an LLM agent sums the cost of every reply it got, and that sum is part of
its durable state, so it survives worker restarts), and what this worker process saw
for the run. The day's spending is this worker process's alone: with several workers,
each spends up to the daily budget (use Kong, or divide the budget, for one cap).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from .config import Budget
from .errors import LLMError, LLMErrorType
from .metrics import llm_budget_refusals_total

# Runs remembered by one process; the oldest are forgotten first. An agent's own
# total still covers a forgotten run.
MAX_TRACKED_RUNS = 10_000


def utc_today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Spend:
    """Who a call is for: the agent run (workflow run id), its type, and what the agent
    says the run has spent so far."""

    run_id: str | None = None
    agent: str | None = None
    spent_usd: float = 0.0


@dataclass(frozen=True)
class Hold:
    """A call's estimated cost, counted while it runs."""

    spend: Spend
    estimate_usd: float
    day: date


class BudgetExceededError(LLMError):
    """A budget of features.cost_tracking is spent: no provider is asked."""

    def __init__(self, scope: str, limit: float, spent: float, fix: str) -> None:
        self.scope = scope
        super().__init__(
            LLMErrorType.BUDGET_EXCEEDED,
            "router",
            f"the {scope} budget of ${limit:g} is spent (${spent:.4f} so far, "
            f"features.cost_tracking.budget.per_{scope}_usd). Fix: {fix}",
            retryable=False,
        )


class SpendTracker:
    def __init__(self, budget: Budget, *, today: Callable[[], date] = utc_today) -> None:
        self.budget = budget
        self._today = today
        self._day = today()
        self._day_spent = 0.0
        self._runs: OrderedDict[str, float] = OrderedDict()
        self.active = budget.per_run_usd is not None or budget.per_day_usd is not None
        for scope, limit in (("run", budget.per_run_usd), ("day", budget.per_day_usd)):
            if limit is not None:  # series at zero, so rate() and alerts see them
                llm_budget_refusals_total.labels(scope)

    def day_spent(self) -> float:
        self._roll_day()
        return self._day_spent

    def run_spent(self, spend: Spend) -> float:
        seen = self._runs.get(spend.run_id, 0.0) if spend.run_id else 0.0
        return max(seen, spend.spent_usd)

    def hold(self, spend: Spend, estimate_usd: float) -> Hold | None:
        """Refuse the call if its run or the day has no budget left (BudgetExceededError);
        otherwise count its estimated cost until `settle` replaces it."""
        if not self.active:
            return None
        self.check(spend)
        self._add(spend, estimate_usd)
        return Hold(spend, estimate_usd, self._day)

    def settle(self, held: Hold | None, cost_usd: float) -> None:
        """Replace a hold's estimate with what the call cost (0 when it failed)."""
        if held is None:
            return
        self._roll_day()
        same_day = held.day == self._day
        self._add(held.spend, cost_usd - held.estimate_usd, day=same_day)
        if not same_day:  # the estimate counted against a day that is over
            self._day_spent += cost_usd

    def check(self, spend: Spend) -> None:
        """Raise BudgetExceededError if the run or the day has no budget left."""
        if not self.active:
            return
        per_run, per_day = self.budget.per_run_usd, self.budget.per_day_usd
        if per_run is not None:
            spent = self.run_spent(spend)
            if spent >= per_run:
                llm_budget_refusals_total.labels("run").inc()
                raise BudgetExceededError(
                    "run", per_run, spent, "raise per_run_usd, or start a new run"
                )
        if per_day is not None:
            spent = self.day_spent()
            if spent >= per_day:
                llm_budget_refusals_total.labels("day").inc()
                raise BudgetExceededError(
                    "day", per_day, spent, "raise per_day_usd, or wait for 00:00 UTC"
                )

    def record(self, spend: Spend, cost_usd: float) -> None:
        """Count a call's cost outright (one that held nothing)."""
        if self.active:
            self._roll_day()
            self._add(spend, cost_usd)

    def _add(self, spend: Spend, amount: float, *, day: bool = True) -> None:
        if day:
            self._day_spent = max(0.0, self._day_spent + amount)
        if spend.run_id:
            total = max(0.0, self._runs.pop(spend.run_id, 0.0) + amount)
            self._runs[spend.run_id] = total
            while len(self._runs) > MAX_TRACKED_RUNS:
                self._runs.popitem(last=False)

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._day_spent = today, 0.0
