# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The router: providers in priority order, retries with backoff, fallback, circuit breakers,
and the features of config/llm_router.yaml that apply to every call: rate limits,
budgets, cost tracking and content safety."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType

import httpx
import structlog

from ..common.settings import load_env
from .breaker import BreakerState, CircuitBreaker, Clock
from .budget import Spend, SpendTracker
from .config import RouterConfig, default_config_path, load_config
from .errors import (
    SKIP_PROVIDER,
    AllProvidersFailedError,
    DeadlineExceededError,
    LLMError,
    LLMErrorType,
)
from .metrics import (
    ProviderSeries,
    breaker_changed,
    circuit_breaker_state,
    llm_fallbacks_total,
    llm_rate_limit_hits_total,
    llm_requests_total,
)
from .models import LLMRequest, LLMResponse, estimate_prompt_tokens
from .pricing import cost_usd, price_for
from .providers import Provider, build_provider
from .ratelimit import RateLimiter, Reservation
from .safety import ContentCheckFailedError, ContentGuard, build_checker, request_text
from .tracing import traced

Sleep = Callable[[float], Awaitable[None]]

log = structlog.get_logger("llm_router")

_UNLIMITED = Reservation(0, 0)  # what an inactive limiter hands out
ANSWER_CHECK_ATTEMPTS = 3


class Deadline:
    """The time left for one `chat()` call, shared by every retry and provider."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    def remaining(self) -> float:
        return self._ends - time.monotonic()


class LLMRouter:
    """Send chat requests to the configured providers with retries, fallback and breakers.

    One router holds a pool of HTTP connections per provider: create it once per
    process, reuse it for every call, and `await router.close()` when done (or use
    `async with`).
    """

    def __init__(
        self,
        config_path: str | Path | None = None,
        *,
        config: RouterConfig | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if config is None:
            # Keys usually live in the project's .env; the real environment wins.
            load_env()
            config = load_config(config_path or default_config_path())
        self.config = config
        settings = self.config.llm
        self._conditions = set(settings.fallback.conditions)
        self._retry = settings.fallback.retry
        self._max_attempts = settings.fallback.max_retries_per_provider + 1
        self._sleep = sleep
        router = settings.router
        self.request_deadline = router.request_deadline
        self._timeout = router.timeout
        self._redact = self.config.redactor()
        self.providers: list[Provider] = [
            traced(build_provider(p, router, self.config.key_variables.get(p.name), self._redact))
            for p in settings.active_providers
        ]
        # One connection pool per provider: connections held by a provider that hangs
        # must not starve the requests to the others (and trip their breakers).
        self._clients = {
            provider.name: httpx.AsyncClient(
                timeout=httpx.Timeout(router.timeout, connect=router.connect_timeout),
                limits=httpx.Limits(
                    max_connections=router.max_connections,
                    max_keepalive_connections=router.max_keepalive_connections,
                ),
                transport=transport,
            )
            for provider in self.providers
        }
        breaker = settings.fallback.circuit_breaker
        self._breakers: dict[str, CircuitBreaker] = {}
        self._limiters: dict[str, RateLimiter] = {}
        self._log_only: set[str] = set()  # providers whose rate_limit only logs
        for provider in settings.active_providers:
            self._breakers[provider.name] = CircuitBreaker(
                breaker.failure_threshold,
                breaker.cooldown_seconds,
                enabled=breaker.enabled,
                clock=clock,
                on_change=self._breaker_gauge(provider.name),
            )
            self._limiters[provider.name] = RateLimiter(
                request_limit=provider.rate_limit.requests_per_minute,
                token_limit=provider.rate_limit.tokens_per_minute,
                clock=clock,
            )
            if provider.rate_limit.enforcement == "log":
                self._log_only.add(provider.name)
            circuit_breaker_state.labels(provider=provider.name).set(0)
        self._prices = {p.name: price_for(p, settings) for p in settings.active_providers}
        self._series = {p.name: ProviderSeries.of(p.name, p.model) for p in self.providers}
        features = settings.router.features
        cost_tracking = features.cost_tracking
        self._track_cost = cost_tracking.enabled and "prometheus" in cost_tracking.export_to
        self._log_cost = cost_tracking.enabled and "logs" in cost_tracking.export_to
        self.spending = SpendTracker(cost_tracking.budget)
        # One budget for every provider; the parts Kong enforces are left to Kong.
        shared = features.ai_rate_limiting
        self.overall_limit = RateLimiter(
            request_limit=shared.request_limit if router.local_request_limit else None,
            token_limit=shared.token_limit if router.local_token_limit else None,
            window_seconds=shared.window_seconds,
            strategy=shared.strategy,
            clock=clock,
        )
        if not shared.enabled:
            self.overall_limit = RateLimiter(clock=clock)
        if self.overall_limit.active:  # series at zero, so rate() and alerts see them
            llm_rate_limit_hits_total.labels("router", "overall")
        self._overall_enforcement = shared.enforcement
        self._overall_window = shared.window
        safety = features.content_safety
        self.content_guard: ContentGuard | None = None
        if safety.enabled and router.local_content_safety:
            checker = build_checker(safety, redact=self._redact)
            self.content_guard = ContentGuard(safety, checker)

    # ------------------------------------------------------------------ public API

    async def chat(self, request: LLMRequest, *, spend: Spend | None = None) -> LLMResponse:
        """Answer `request` from the first provider that can; raise LLMError otherwise.

        The whole call, every retry and fallback included, ends within
        `router.request_deadline` seconds of config/llm_router.yaml. `spend` says which
        agent run the call is for, so the run's budget applies.
        """
        spend = spend or Spend()
        deadline = Deadline(self.request_deadline)
        candidates = self._candidates(request.model)
        held = self.spending.hold(spend, self._cost_estimate(request, candidates))
        reservation = _UNLIMITED
        cost = 0.0
        guard = self.content_guard
        try:
            # The rate limit first: a refused call costs no content check.
            reservation = self._reserve_overall(request)
            if guard is not None:
                # Screened once, before any provider: every provider would get the same text.
                text = request_text(request.messages, whole_conversation=guard.whole_conversation)
                await self._screen(guard.screen(text, stage="input"), deadline.remaining())
            response = await self._route(request, candidates, deadline)
            cost = response.cost_usd
        except BaseException:
            self.overall_limit.settle(reservation, 0)  # nothing was used
            raise
        finally:
            self.spending.settle(held, cost)  # paid for, even if blocked below
        tokens = response.usage.get("prompt_tokens", 0) + response.usage.get("completion_tokens", 0)
        self.overall_limit.settle(reservation, tokens)
        if guard is not None:
            # An answer already paid for is not thrown away (and bought again on retry)
            # for want of a few seconds or one failed check.
            await self._screen_answer(guard, response, deadline)
        return response

    async def _screen_answer(
        self, guard: ContentGuard, response: LLMResponse, deadline: Deadline
    ) -> None:
        """Check an answer, trying the checker again when it was only unavailable: the
        answer is paid for, and a failed step would buy it again."""
        for attempt in range(1, ANSWER_CHECK_ATTEMPTS + 1):
            # Its own time, not the deadline's leftovers.
            seconds = max(deadline.remaining(), guard.feature.timeout)
            check = guard.screen(response.content, stage="output", provider=response.provider)
            try:
                await self._screen(check, seconds)
                return
            except ContentCheckFailedError as error:
                if not error.retryable or attempt == ANSWER_CHECK_ATTEMPTS:
                    raise
            await self._sleep(self._retry.initial_seconds * attempt)

    def _cost_estimate(self, request: LLMRequest, candidates: list[Provider]) -> float:
        """The most this call may cost at the candidates' prices, for the budgets."""
        if not self.spending.active:
            return 0.0
        prompt = estimate_prompt_tokens(request)
        costs = (cost_usd(self._prices[p.name], prompt, request.max_tokens) for p in candidates)
        return max(costs, default=0.0)

    async def _screen(self, check: Awaitable[None], seconds: float) -> None:
        """A content check, within `seconds` (what is left of the request deadline)."""
        cut = asyncio.timeout(max(0.0, seconds))
        try:
            async with cut:
                await check
        except TimeoutError:
            if not cut.expired():
                raise
            raise DeadlineExceededError("content_safety", self.request_deadline) from None

    async def _route(
        self, request: LLMRequest, candidates: list[Provider], deadline: Deadline
    ) -> LLMResponse:
        failures: list[LLMError] = []
        attempts = 0
        for index, provider in enumerate(candidates):
            if deadline.remaining() <= 0:
                failures.append(DeadlineExceededError(provider.name, deadline.seconds, tried=False))
                continue
            if failures:
                llm_fallbacks_total.labels(
                    failures[-1].provider, provider.name, failures[-1].error_type.value
                ).inc()
            counter = [0]
            last = index == len(candidates) - 1
            try:
                response = await self._with_retries(provider, request, counter, deadline, last)
            except LLMError as error:
                attempts += counter[0]
                failures.append(error)
                if error.error_type in SKIP_PROVIDER or error.condition in self._conditions:
                    continue  # fall back at once: only retries of one provider ever sleep
                raise
            attempts += counter[0]
            response.attempts = attempts
            response.providers_tried = [f.provider for f in failures] + [provider.name]
            return response
        raise AllProvidersFailedError(failures)

    @property
    def tracks_cost(self) -> bool:
        """Whether cost goes to the metrics (cost_tracking.export_to has prometheus)."""
        return self._track_cost

    @property
    def logs_cost(self) -> bool:
        """Whether cost goes into log lines (cost_tracking.export_to has logs)."""
        return self._log_cost

    def circuit_state(self, provider: str) -> BreakerState:
        """The circuit-breaker state of one provider (by its name in the config)."""
        return self._breakers[provider].state

    def circuit_states(self) -> dict[str, BreakerState]:
        return {name: breaker.state for name, breaker in self._breakers.items()}

    def breaker(self, provider: str) -> CircuitBreaker:
        """The circuit breaker of one provider (for health checks and tests)."""
        return self._breakers[provider]

    async def close(self) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients.values()))
        if self.content_guard is not None:
            await self.content_guard.aclose()

    async def __aenter__(self) -> LLMRouter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ internals

    def _candidates(self, wanted: str | None) -> list[Provider]:
        if wanted is None:
            return list(self.providers)
        chosen = [p for p in self.providers if wanted in (p.name, p.model)]
        if not chosen:
            names = ", ".join(f"{p.name} ({p.model})" for p in self.providers)
            raise LLMError(
                LLMErrorType.MODEL_NOT_FOUND,
                "router",
                f"no enabled provider is named or serves '{wanted}'. Fix: use one of {names}, "
                "or leave `model` unset to use the priority order",
                retryable=False,
            )
        return chosen

    def _reserve_overall(self, request: LLMRequest) -> Reservation:
        """Count the call against features.ai_rate_limiting, or refuse it (enforcement: block)."""
        limiter = self.overall_limit
        if not limiter.active:
            return _UNLIMITED
        estimated = estimate_prompt_tokens(request)
        reservation, wait = limiter.try_acquire(estimated)
        if reservation is not None:
            return reservation
        llm_rate_limit_hits_total.labels("router", "overall").inc()
        where = (
            f"features.ai_rate_limiting: {limiter.describe()} per {self._overall_window}, "
            "per worker"
        )
        if self._overall_enforcement == "log":
            log.warning("llm_rate_limit_exceeded", scope="overall", enforcement="log", limit=where)
            return limiter.force_acquire(estimated)
        if wait == float("inf"):
            raise LLMError(
                LLMErrorType.RATE_LIMIT,
                "router",
                f"the request's ~{estimated} prompt tokens exceed the whole budget ({where}). "
                "Fix: shorten the request or raise token_limit",
                retryable=False,
            )
        log.warning("llm_rate_limit_exceeded", scope="overall", enforcement="block", limit=where)
        raise LLMError(
            LLMErrorType.RATE_LIMIT,
            "router",
            f"rate limit reached ({where}); free in {wait:.1f}s",
            retryable=True,
            retry_after=wait,
        )

    def _breaker_gauge(self, name: str) -> Callable[[BreakerState], None]:
        def update(state: BreakerState) -> None:
            breaker_changed(name, state)
            log.warning("llm_circuit_breaker", provider=name, state=state.value)

        return update

    def _should_retry(self, error: BaseException) -> bool:
        if not isinstance(error, LLMError) or not error.retryable:
            return False
        if error.error_type is LLMErrorType.CIRCUIT_OPEN:
            return False
        # A server asking for a longer pause than we accept: move on instead of waiting.
        return error.retry_after is None or error.retry_after <= self._retry.max_retry_after_seconds

    def _pause(self, error: LLMError, attempt: int) -> float:
        """Seconds to wait before retrying after `attempt` failed with `error`."""
        if error.retry_after is not None:
            return float(min(error.retry_after, self._retry.max_retry_after_seconds))
        backoff = self._retry.initial_seconds * 2 ** (attempt - 1)
        jitter = random.uniform(0, self._retry.jitter_seconds)
        return float(min(backoff, self._retry.max_seconds) + jitter)

    def _attempt_timeout(self, provider: Provider) -> float:
        return provider.config.timeout or self._timeout

    async def _with_retries(
        self,
        provider: Provider,
        request: LLMRequest,
        counter: list[int],
        deadline: Deadline,
        last: bool,
    ) -> LLMResponse:
        breaker = self._breakers[provider.name]
        # With providers still to try, a retry must leave time for a whole attempt;
        # otherwise the time is better spent on the next provider.
        reserve = 0.0 if last else self._attempt_timeout(provider)
        failed: LLMError | None = None
        attempt = 0
        while True:
            attempt += 1
            counter[0] += 1
            try:
                return await self._attempt(provider, request, counter[0], deadline)
            except LLMError as error:
                if error.error_type is LLMErrorType.CIRCUIT_OPEN and failed is not None:
                    # Opened by concurrent failures while we waited: the cause is ours.
                    raise failed from None
                failed = error
                if not self._should_retry(error) or attempt >= self._max_attempts:
                    raise
                if breaker.state is not BreakerState.CLOSED:
                    raise  # our failures opened it: report them instead of waiting
                pause = self._pause(error, attempt)
                left = deadline.remaining() - pause
                if left <= 0 or left < reserve:
                    raise
            await self._sleep(pause)

    async def _attempt(
        self, provider: Provider, request: LLMRequest, number: int, deadline: Deadline
    ) -> LLMResponse:
        name, model = provider.name, provider.model
        if number > 1:
            self._series[name].retries.inc()
        breaker = self._breakers[name]
        permit = breaker.acquire()
        if permit is None:
            raise LLMError(
                LLMErrorType.CIRCUIT_OPEN,
                name,
                f"circuit open after repeated failures; next trial in "
                f"{breaker.seconds_until_trial():.0f}s",
                retryable=True,
            )
        limiter = self._limiters[name]
        estimated = estimate_prompt_tokens(request) if limiter.active else 0
        reservation, wait = limiter.try_acquire(estimated)
        if reservation is None:
            llm_rate_limit_hits_total.labels(name, "client").inc()
            if name in self._log_only:
                log.warning("llm_rate_limit_exceeded", scope="provider", provider=name)
                reservation = limiter.force_acquire(estimated)
            else:
                breaker.release(permit)
                llm_requests_total.labels(name, model, "throttled").inc()
                too_big = wait == float("inf")
                raise LLMError(
                    LLMErrorType.RATE_LIMIT,
                    name,
                    "the request is larger than tokens_per_minute (rate_limit in config)"
                    if too_big
                    else f"client-side rate limit reached (rate_limit in config); "
                    f"free in {wait:.1f}s",
                    retryable=not too_big,
                    retry_after=None if too_big else wait,
                )
        started = time.perf_counter()
        # Every way out of the call settles the permit, so no breaker waits forever
        # on a trial that was cancelled or crashed.
        try:
            response = await self._send(provider, request, deadline)
        except LLMError as error:
            limiter.settle(reservation, 0)
            if error.counts_against_provider:
                breaker.record_failure(permit)
            else:
                breaker.release(permit)
            elapsed = time.perf_counter() - started
            llm_requests_total.labels(name, model, error.error_type.value).inc()
            if error.error_type is LLMErrorType.RATE_LIMIT:
                llm_rate_limit_hits_total.labels(name, "provider").inc()
            self._series[name].duration.observe(elapsed)
            log.warning(
                "llm_attempt_failed",
                provider=name,
                model=model,
                provider_attempt=number,
                error_type=error.error_type.value,
                status=error.status_code,
                retryable=error.retryable,
                duration_ms=round(elapsed * 1000, 1),
            )
            raise
        except BaseException:
            limiter.settle(reservation, 0)
            breaker.release(permit)
            raise
        breaker.record_success(permit)
        elapsed = time.perf_counter() - started
        prompt_tokens = response.usage.get("prompt_tokens", 0)
        completion_tokens = response.usage.get("completion_tokens", 0)
        limiter.settle(reservation, prompt_tokens + completion_tokens)
        response.cost_usd = cost_usd(self._prices[name], prompt_tokens, completion_tokens)
        series = self._series[name]
        series.success.inc()
        series.duration.observe(elapsed)
        series.prompt_tokens.inc(prompt_tokens)
        series.completion_tokens.inc(completion_tokens)
        if self._track_cost:
            series.cost.inc(response.cost_usd)
        cost = {"cost_usd": round(response.cost_usd, 6)} if self._log_cost else {}
        log.info(
            "llm_call",
            provider=name,
            model=response.model,
            provider_attempt=number,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            **cost,
            finish_reason=response.finish_reason,
            duration_ms=round(elapsed * 1000, 1),
        )
        return response

    async def _send(
        self, provider: Provider, request: LLMRequest, deadline: Deadline
    ) -> LLMResponse:
        """One request to one provider, cut short when the request deadline runs out."""
        cut = asyncio.timeout(max(0.0, deadline.remaining()))
        try:
            async with cut:
                return await provider.complete(self._clients[provider.name], request)
        except TimeoutError:
            if not cut.expired():
                raise
            raise DeadlineExceededError(provider.name, deadline.seconds) from None
