# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Chaos runs: the router against a pool of fake providers that fail in every known way.

A pool of real HTTP servers on 127.0.0.1 (`testing.FakeLLMServer`) in each wire format,
each drawing a random fault per request (5xx, hangs past the timeout, malformed bodies
of many shapes, 200s with an error body, bursts of 429 with Retry-After), and one
healthy server last in priority; callers cancel some requests midway. The report says
how requests ended and whether any circuit breaker is wedged: refusing traffic although
nothing is in flight and its provider has recovered. Used by the project's chaos test
and by benchmarks/router_chaos.py:

    report = await run_chaos(requests=300, concurrency=32)
    assert report.wedged == [] and report.unexpected == []
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from .config import parse_config
from .errors import AllProvidersFailedError, LLMError, LLMErrorType
from .models import LLMRequest
from .router import LLMRouter
from .testing import FakeLLMServer, FaultMix, Wire

# (provider type, wire format of its server) for the faulty part of the pool.
POOL: tuple[tuple[str, Wire], ...] = (
    ("openai", "openai"),
    ("anthropic", "anthropic"),
    ("openai_compatible", "openai"),
)
PROMPT = LLMRequest(messages=[{"role": "user", "content": "Say hello"}], max_tokens=16)


@dataclass(frozen=True)
class Faults:
    """Per-request fault probabilities of each faulty provider."""

    server_error: float = 0.30
    hang: float = 0.10
    malformed: float = 0.10
    error_body: float = 0.05
    rate_limit_burst: float = 0.02

    def mix(self, wire: Wire, *, seed: int, hang_seconds: float) -> FaultMix:
        return FaultMix(
            wire,
            server_error=self.server_error,
            hang=self.hang,
            malformed=self.malformed,
            error_body=self.error_body,
            rate_limit_burst=self.rate_limit_burst,
            hang_seconds=hang_seconds,
            seed=seed,
        )


@dataclass
class ChaosReport:
    requests: int = 0
    succeeded: int = 0
    cancelled: int = 0
    failed: Counter[str] = field(default_factory=Counter)  # error type of what callers got
    causes: Counter[str] = field(default_factory=Counter)  # each provider's failure in those
    unexpected: list[str] = field(default_factory=list)  # anything not an LLMError
    served_by: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    transitions: dict[str, int] = field(default_factory=dict)
    openings: dict[str, int] = field(default_factory=dict)
    refused: int = 0  # attempts refused by an open (or busy half-open) breaker
    wedged: list[str] = field(default_factory=list)
    injected: dict[str, Counter[str]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def success_rate(self) -> float:
        answered = self.requests - self.cancelled
        return self.succeeded / answered if answered else 0.0

    def percentile(self, share: float) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[
            round(share * 100) - 1
        ]


def chaos_config(
    faulty: list[FakeLLMServer],
    healthy: FakeLLMServer | None,
    *,
    timeout: float,
    failure_threshold: int,
    cooldown_seconds: float,
) -> dict[str, Any]:
    providers: list[dict[str, Any]] = [
        {
            "name": f"{kind}-{index}",
            "type": kind,
            "model": "m",
            "base_url": server.base_url,
            "priority": index + 1,
        }
        for index, ((kind, _), server) in enumerate(zip(POOL, faulty, strict=False))
    ]
    if healthy is not None:
        providers.append(
            {
                "name": "healthy",
                "type": "openai",
                "model": "m",
                "base_url": healthy.base_url,
                "priority": 100,
            }
        )
    return {
        "llm": {
            "router": {
                "timeout": timeout,
                "request_deadline": 20 * timeout,
                # Room for every concurrent caller: the run is about faults, not pool sizing.
                "max_connections": 200,
                "max_keepalive_connections": 200,
            },
            "providers": providers,
            "fallback": {
                "max_retries_per_provider": 2,
                "retry": {
                    "initial_seconds": 0.01,
                    "max_seconds": 0.05,
                    "jitter_seconds": 0.01,
                    "max_retry_after_seconds": 0.2,
                },
                "circuit_breaker": {
                    "failure_threshold": failure_threshold,
                    "cooldown_seconds": cooldown_seconds,
                },
            },
        }
    }


async def run_chaos(
    *,
    requests: int = 300,
    concurrency: int = 32,
    faults: Faults | None = None,
    faulty_providers: int = 3,
    healthy_provider: bool = True,
    cancel_rate: float = 0.05,
    attempt_timeout: float = 1.0,
    failure_threshold: int = 3,
    cooldown_seconds: float = 0.5,
    seed: int = 0,
) -> ChaosReport:
    """Send `requests` chat requests through a router over a faulty pool; report."""
    faults = faults or Faults()
    chance = random.Random(seed)
    report = ChaosReport(requests=requests)
    async with AsyncExitStack() as stack:
        faulty = [
            await stack.enter_async_context(FakeLLMServer(wire))
            for _, wire in POOL[:faulty_providers]
        ]
        mixes = [
            faults.mix(wire, seed=seed + index, hang_seconds=3 * attempt_timeout)
            for index, (_, wire) in enumerate(POOL[:faulty_providers])
        ]
        for server, mix in zip(faulty, mixes, strict=True):
            server.record = False
            server.fault_source = mix
        healthy = None
        if healthy_provider:
            healthy = await stack.enter_async_context(FakeLLMServer("openai"))
            healthy.record = False
        raw = chaos_config(
            faulty,
            healthy,
            timeout=attempt_timeout,
            failure_threshold=failure_threshold,
            cooldown_seconds=cooldown_seconds,
        )
        router = await stack.enter_async_context(LLMRouter(config=parse_config(raw, env={})))
        names = [provider.name for provider in router.providers]
        queue = iter(range(requests))

        async def one() -> None:
            cancel_after = (
                chance.uniform(0, attempt_timeout) if chance.random() < cancel_rate else None
            )
            started = time.perf_counter()
            try:
                if cancel_after is None:
                    response = await router.chat(PROMPT)
                else:
                    async with asyncio.timeout(cancel_after):
                        response = await router.chat(PROMPT)
            except TimeoutError:
                if cancel_after is None:
                    report.unexpected.append("TimeoutError escaped the router")
                else:
                    report.cancelled += 1
            except LLMError as error:
                report.failed[error.error_type.value] += 1
                inner = error.failures if isinstance(error, AllProvidersFailedError) else [error]
                report.causes.update(failure.error_type.value for failure in inner)
            except Exception as error:  # the chaos run exists to find these
                report.unexpected.append(f"{type(error).__name__}: {error}")
            else:
                report.succeeded += 1
                report.served_by[response.provider] += 1
                report.latencies.append(time.perf_counter() - started)

        async def worker() -> None:
            for _ in queue:
                await one()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        report.seconds = time.perf_counter() - started
        for name in names:
            breaker = router.breaker(name)
            report.transitions[name] = breaker.transitions
            report.openings[name] = breaker.openings
            report.refused += breaker.refusals
        report.injected = {
            name: Counter(mix.counts) for name, mix in zip(names, mixes, strict=False)
        }
        report.wedged = await _wedged(router, names, faulty)
    return report


async def _wedged(router: LLMRouter, names: list[str], faulty: list[FakeLLMServer]) -> list[str]:
    """Breakers that refuse a request although nothing is in flight, their cooldown is
    over and their provider has recovered."""
    for server in faulty:
        server.fault_source = None
        server.clear_faults()
    await asyncio.sleep(max(router.breaker(name).cooldown_seconds for name in names) + 0.05)
    wedged = []
    for name in names:
        try:
            await router.chat(PROMPT.model_copy(update={"model": name}))
        except AllProvidersFailedError as error:
            if any(f.error_type is LLMErrorType.CIRCUIT_OPEN for f in error.failures):
                wedged.append(name)
    return wedged
