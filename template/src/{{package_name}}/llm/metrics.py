"""Prometheus metrics of the LLM router (names as in the project's monitoring guide).

They live in the default registry, so the service's /metrics (or
`prometheus_client.start_http_server`) exports them with everything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from .breaker import BreakerState

llm_requests_total = Counter(
    "llm_requests_total", "LLM requests by outcome", ["provider", "model", "status"]
)
llm_request_duration_seconds = Histogram(
    "llm_request_duration_seconds",
    "Duration of one LLM request to one provider",
    ["provider", "model"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
llm_tokens_total = Counter("llm_tokens_total", "Tokens used", ["provider", "model", "type"])
llm_cost_total_usd = Counter(
    "llm_cost_total_usd", "Estimated LLM cost in USD", ["provider", "model"]
)
circuit_breaker_state = Gauge(
    "circuit_breaker_state",
    "Circuit breaker state per provider (0=closed, 1=open, 2=half-open)",
    ["provider"],
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

    @classmethod
    def of(cls, provider: str, model: str) -> ProviderSeries:
        return cls(
            success=llm_requests_total.labels(provider, model, "success"),
            duration=llm_request_duration_seconds.labels(provider, model),
            prompt_tokens=llm_tokens_total.labels(provider, model, "prompt"),
            completion_tokens=llm_tokens_total.labels(provider, model, "completion"),
            cost=llm_cost_total_usd.labels(provider, model),
        )
