# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Prometheus metrics of the LLM router; the service serves them on /metrics.

Names and labels are stable (dashboards and alerts depend on them); docs/observability.md
lists them all. `status` of `llm_requests_total` is `success`, `throttled` (held back by
the client-side rate limit) or the error type (`timeout`, `rate_limit`, `provider_error`...).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from ..common.metrics import LATENCY_BUCKETS
from .breaker import BreakerState

llm_requests_total = Counter(
    "llm_requests_total", "LLM requests by outcome", ["provider", "model", "status"]
)
llm_request_duration_seconds = Histogram(
    "llm_request_duration_seconds",
    "Duration of one LLM request to one provider",
    ["provider", "model"],
    buckets=LATENCY_BUCKETS,
)
llm_tokens_total = Counter(
    "llm_tokens_total", "Tokens used (type: prompt, completion)", ["provider", "model", "type"]
)
llm_cost_total_usd = Counter(
    "llm_cost_total_usd", "Estimated LLM cost in USD", ["provider", "model"]
)
llm_retries_total = Counter(
    "llm_retries_total",
    "Requests sent again to the same provider after a failure",
    ["provider", "model"],
)
llm_fallbacks_total = Counter(
    "llm_fallbacks_total",
    "Hops from a failed provider to the next one in priority order",
    ["from_provider", "to_provider", "reason"],
)
llm_rate_limit_hits_total = Counter(
    "llm_rate_limit_hits_total",
    "Requests over a rate limit (source: client = the provider's rate_limit, overall = "
    "features.ai_rate_limiting with provider `router`, provider = a 429 from the "
    "provider); with enforcement: log they were let through",
    ["provider", "source"],
)
llm_agent_cost_usd_total = Counter(
    "llm_agent_cost_usd_total", "Estimated LLM cost in USD by agent type", ["agent"]
)
llm_budget_refusals_total = Counter(
    "llm_budget_refusals_total",
    "Calls refused because a budget of features.cost_tracking is spent (scope: run, day)",
    ["scope"],
)
llm_content_safety_violations_total = Counter(
    "llm_content_safety_violations_total",
    "Texts rated at or above `low` by the content checker (stage: input, output; "
    "action: blocked, allowed)",
    ["stage", "category", "severity", "action"],
)
llm_content_safety_errors_total = Counter(
    "llm_content_safety_errors_total",
    "Content checks that could not be made (action: on_error's block or allow)",
    ["checker", "action"],
)
circuit_breaker_state = Gauge(
    "circuit_breaker_state",
    "Circuit breaker state per provider (0=closed, 1=open, 2=half-open)",
    ["provider"],
)
circuit_breaker_transitions_total = Counter(
    "circuit_breaker_transitions_total",
    "Circuit breaker state changes per provider, by the state entered",
    ["provider", "state"],
)

BREAKER_VALUES = {BreakerState.CLOSED: 0, BreakerState.OPEN: 1, BreakerState.HALF_OPEN: 2}


@dataclass(frozen=True)
class ProviderSeries:
    """One provider's labelled series, looked up once: `labels()` is costly per call."""

    success: Any
    duration: Any
    prompt_tokens: Any
    completion_tokens: Any
    cost: Any
    retries: Any

    @classmethod
    def of(cls, provider: str, model: str) -> ProviderSeries:
        # Series that only failures move start at zero, so dashboards and alerts see
        # them (and `rate()` works) before the first failure.
        for source in ("client", "provider"):
            llm_rate_limit_hits_total.labels(provider, source)
        for state in BreakerState:
            circuit_breaker_transitions_total.labels(provider, state.value)
        return cls(
            success=llm_requests_total.labels(provider, model, "success"),
            duration=llm_request_duration_seconds.labels(provider, model),
            prompt_tokens=llm_tokens_total.labels(provider, model, "prompt"),
            completion_tokens=llm_tokens_total.labels(provider, model, "completion"),
            cost=llm_cost_total_usd.labels(provider, model),
            retries=llm_retries_total.labels(provider, model),
        )


def breaker_changed(provider: str, state: BreakerState) -> None:
    """Record a circuit breaker entering `state`."""
    circuit_breaker_state.labels(provider).set(BREAKER_VALUES[state])
    circuit_breaker_transitions_total.labels(provider, state.value).inc()
