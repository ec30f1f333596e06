# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The LLM router's errors: a broken config/llm_router.yaml (`ConfigError`), and the
taxonomy of failed calls (`LLMError`): what went wrong, at which provider, and whether to
try again.
"""

from __future__ import annotations

from enum import Enum

from ..common.errors import RestackAppError


class LLMErrorType(Enum):
    TIMEOUT = "timeout"
    CONNECTION_ERROR = "connection_error"
    RATE_LIMIT = "rate_limit"
    INVALID_API_KEY = "invalid_api_key"
    INVALID_REQUEST = "invalid_request"
    MODEL_NOT_FOUND = "model_not_found"
    CONTENT_FILTER = "content_filter"
    LLM_ERROR = "llm_error"
    MALFORMED_RESPONSE = "malformed_response"
    PROVIDER_ERROR = "provider_error"
    CIRCUIT_OPEN = "circuit_open"
    ALL_PROVIDERS_FAILED = "all_providers_failed"
    BUDGET_EXCEEDED = "budget_exceeded"


# The fallback condition (a name from `fallback.conditions` in config/llm_router.yaml)
# that each kind of failure belongs to. Failures without a condition never fall back
# on their own: a 400 would be refused by every provider alike.
CONDITION_OF: dict[LLMErrorType, str] = {
    LLMErrorType.TIMEOUT: "timeout",
    LLMErrorType.CONNECTION_ERROR: "connection_error",
    LLMErrorType.PROVIDER_ERROR: "5xx",
    LLMErrorType.RATE_LIMIT: "rate_limit",
    LLMErrorType.MALFORMED_RESPONSE: "malformed_response",
    LLMErrorType.CONTENT_FILTER: "llm_error",
    LLMErrorType.LLM_ERROR: "llm_error",
    LLMErrorType.INVALID_REQUEST: "invalid_request",
}

# Failures that say something about one provider's setup rather than the request:
# the router always moves past that provider.
SKIP_PROVIDER = frozenset(
    {LLMErrorType.INVALID_API_KEY, LLMErrorType.MODEL_NOT_FOUND, LLMErrorType.CIRCUIT_OPEN}
)


class LLMRouterError(RestackAppError):
    """Base of every error of the LLM router."""


class ConfigError(LLMRouterError, ValueError):
    """An invalid config/llm_router.yaml; the message says where and how to fix it."""

    exit_code = 2
    fix = "Check the whole file with `restack doctor --check-llm` (docs/llm.md describes it)."


class LLMError(LLMRouterError):
    """A failed LLM call. `retryable` says whether the same provider may be asked again."""

    fix = "Probe every enabled provider with `restack test:llm`."

    def __init__(
        self,
        error_type: LLMErrorType,
        provider: str,
        message: str,
        retryable: bool = True,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.error_type = error_type
        self.provider = provider
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after
        self.message = message
        super().__init__(f"[{provider}] {error_type.value}: {message}")

    @property
    def condition(self) -> str | None:
        """The fallback condition this failure matches, if any."""
        return CONDITION_OF.get(self.error_type)

    @property
    def counts_against_provider(self) -> bool:
        """Whether the failure says the provider is unhealthy (feeds the circuit breaker)."""
        return self.error_type in {
            LLMErrorType.TIMEOUT,
            LLMErrorType.CONNECTION_ERROR,
            LLMErrorType.PROVIDER_ERROR,
            LLMErrorType.RATE_LIMIT,
            LLMErrorType.MALFORMED_RESPONSE,
        }


class LocalTimeoutError(LLMError):
    """Time ran out on our side before the provider could answer: the request deadline
    (llm.router.request_deadline) or the wait for a free pooled connection. It says
    nothing about the provider's health, so it never opens a circuit breaker."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(LLMErrorType.TIMEOUT, provider, message, retryable=True)

    @property
    def counts_against_provider(self) -> bool:
        return False


class DeadlineExceededError(LocalTimeoutError):
    """The request deadline ran out before an answer came (or before a provider's turn)."""

    def __init__(self, provider: str, seconds: float, *, tried: bool = True) -> None:
        what = "no answer before" if tried else "not tried: no time left before"
        super().__init__(
            provider, f"{what} the request deadline ({seconds:g}s, llm.router.request_deadline)"
        )


class AllProvidersFailedError(LLMError):
    """Every provider was tried (or skipped); `failures` holds each provider's last error."""

    def __init__(self, failures: list[LLMError]) -> None:
        self.failures = failures
        lines = "\n".join(f"  - {failure}" for failure in failures)
        retryable = any(failure.retryable for failure in failures)
        super().__init__(
            LLMErrorType.ALL_PROVIDERS_FAILED,
            "router",
            f"all {len(failures)} provider(s) failed:\n{lines}",
            retryable=retryable,
        )
