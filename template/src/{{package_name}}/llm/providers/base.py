# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""What every provider does, and the HTTP error classification they share."""

from __future__ import annotations

import functools
import json
import math
import time
from abc import ABC, abstractmethod
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..config import ProviderConfig
from ..errors import LLMError, LLMErrorType, LocalTimeoutError
from ..models import LLMRequest, LLMResponse
from ..redaction import NO_SECRETS, Redactor


class MalformedBodyError(Exception):
    """A 200 body that does not have the shape of the provider's format (parse helpers)."""


class Provider(ABC):
    """One configured provider: turns an LLMRequest into one call and one LLMResponse."""

    def __init__(
        self,
        config: ProviderConfig,
        key_variables: list[str] | None = None,
        redact: Redactor = NO_SECRETS,
    ) -> None:
        self.config = config
        self.name = config.name
        self.model = config.model
        self.key_variables = key_variables or []
        self.redact = redact

    @property
    def endpoint(self) -> str:
        """Where requests go (for logs and reachability checks; never includes a key)."""
        return self.config.url

    @abstractmethod
    async def complete(self, client: httpx.AsyncClient, request: LLMRequest) -> LLMResponse:
        """Send one request (no retries, no fallback); raise LLMError on any failure."""

    def max_tokens(self, request: LLMRequest) -> int:
        cap = self.config.max_tokens
        return min(request.max_tokens, cap) if cap else request.max_tokens

    def error(self, kind: LLMErrorType, message: str, retryable: bool, **extra: Any) -> LLMError:
        """An LLMError of this provider; any known secret in `message` is redacted."""
        return LLMError(kind, self.name, self.redact(message), retryable, **extra)


class HTTPProvider(Provider):
    """A provider spoken to with one JSON POST per request."""

    @functools.cached_property
    def _request_headers(self) -> dict[str, str]:
        # The same for every request of this provider (its config does not change), and
        # built on every call it would cost each call a dict of secrets unwrapped again.
        return {**self.headers(), "content-type": "application/json"}

    @abstractmethod
    def url(self) -> str: ...

    @abstractmethod
    def headers(self) -> dict[str, str]: ...

    @abstractmethod
    def body(self, request: LLMRequest) -> dict[str, Any]: ...

    @abstractmethod
    def parse(self, data: dict[str, Any], response: httpx.Response) -> LLMResponse:
        """Turn a 200 body into a response; raise LLMError for error bodies and refusals,
        MalformedBodyError (or any other exception) for a body of the wrong shape."""

    async def complete(self, client: httpx.AsyncClient, request: LLMRequest) -> LLMResponse:
        started = time.perf_counter()
        timeout = self.config.timeout
        try:
            content = json.dumps(self.body(request)).encode()
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.error(
                LLMErrorType.INVALID_REQUEST,
                f"the request cannot be sent in this provider's format ({type(exc).__name__}: "
                f"{exc}). Fix: check the messages and tools",
                False,
            ) from None
        try:
            response = await client.post(
                self.url(),
                content=content,
                headers=self._request_headers,
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.PoolTimeout:
            raise LocalTimeoutError(
                self.name,
                "no free connection in time; nothing was sent (raise router.max_connections "
                "if this happens under normal load)",
            ) from None
        except httpx.TimeoutException as exc:
            raise self.error(
                LLMErrorType.TIMEOUT, f"no answer in time ({type(exc).__name__})", True
            ) from None
        except httpx.DecodingError as exc:
            raise self.error(
                LLMErrorType.MALFORMED_RESPONSE, f"the body cannot be decoded ({exc})", False
            ) from None
        except httpx.HTTPError as exc:
            raise self.error(
                LLMErrorType.CONNECTION_ERROR,
                f"cannot reach {self.endpoint} ({type(exc).__name__}: {exc})",
                True,
            ) from None
        result = self.read(response)
        result.latency_ms = (time.perf_counter() - started) * 1000
        return result

    def read(self, response: httpx.Response) -> LLMResponse:
        """The response to a sent request, or the LLMError it amounts to; any body a
        server can send becomes a response or an LLMError, never another exception."""
        if response.status_code != 200:
            raise self.http_error(response)
        try:
            data = response.json()
        except (ValueError, RecursionError):
            raise self.error(
                LLMErrorType.MALFORMED_RESPONSE,
                f"the 200 response is not JSON: {response.text[:120]!r}",
                False,
            ) from None
        if not isinstance(data, dict):
            raise self.error(
                LLMErrorType.MALFORMED_RESPONSE, "the 200 response is not a JSON object", False
            )
        try:
            return self.parse(data, response)
        except LLMError:
            raise
        except MalformedBodyError as exc:
            raise self.error(LLMErrorType.MALFORMED_RESPONSE, str(exc), False) from None
        except Exception as exc:  # any other shape problem is still a bad body
            raise self.error(
                LLMErrorType.MALFORMED_RESPONSE,
                f"the 200 response has an unexpected shape ({type(exc).__name__})",
                False,
            ) from None

    def http_error(self, response: httpx.Response) -> LLMError:
        status = response.status_code
        detail = error_message(response)
        retry_after = retry_after_seconds(response.headers)
        should_retry = response.headers.get("x-should-retry")
        if status in (401, 403):
            keys = " or ".join(self.key_variables) or f"the api_key of provider '{self.name}'"
            return self.error(
                LLMErrorType.INVALID_API_KEY,
                f"{self.endpoint} rejected the API key ({status}: {detail}). Fix: check {keys}",
                False,
                status_code=status,
            )
        if status == 404:
            return self.error(
                LLMErrorType.MODEL_NOT_FOUND,
                f"model '{self.model}' or URL {self.url()} not found (404: {detail}). "
                "Fix: check `model` and `base_url` in config/llm_router.yaml",
                False,
                status_code=status,
            )
        if status == 429:
            quota = "insufficient_quota" in response.text
            return self.error(
                LLMErrorType.RATE_LIMIT,
                f"rate limited (429: {detail})" + (" - quota exhausted" if quota else ""),
                not quota,
                status_code=status,
                retry_after=retry_after,
            )
        if status == 408 or status >= 500:
            kind = LLMErrorType.TIMEOUT if status == 408 else LLMErrorType.PROVIDER_ERROR
            label = "overloaded" if status == 529 else "server error"
            return self.error(
                kind,
                f"{label} ({status}: {detail})",
                should_retry != "false",
                status_code=status,
                retry_after=retry_after,
            )
        return self.error(
            LLMErrorType.INVALID_REQUEST,
            f"request refused ({status}: {detail})",
            should_retry == "true",
            status_code=status,
        )


def error_message(response: httpx.Response) -> str:
    """The human part of an error body in the OpenAI, Anthropic or Kong shape."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return response.text[:200] or response.reason_phrase
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:200]
        if isinstance(error, str):
            return error[:200]
        if data.get("message"):
            return str(data["message"])[:200]
    return response.text[:200]


def error_text(error: Any) -> str:
    """The message of a 200 error body's `error` field, whatever its shape."""
    message = error.get("message") if isinstance(error, dict) else error
    return str(message)[:200]


# --------------------------------------------------------------------- parse helpers


def as_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MalformedBodyError(f"{where} is not an object")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    """A list; a missing (null) field reads as empty."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedBodyError(f"{where} is not a list")
    return value


def as_text(value: Any, where: str) -> str:
    """A string; a missing (null) field reads as empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise MalformedBodyError(f"{where} is not a string")
    return value


def token_count(usage: Any, key: str) -> int:
    """`usage[key]` as a token count; a missing usage or count reads as 0."""
    if usage is None:
        return 0
    value = as_dict(usage, "usage").get(key)
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MalformedBodyError(f"usage.{key} is not a token count")
    return value


def tool_arguments(value: Any, where: str) -> dict[str, Any]:
    """Tool-call arguments: a JSON object, given as text (OpenAI) or already parsed."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise MalformedBodyError(f"{where} is not JSON") from None
    if not isinstance(value, dict):
        raise MalformedBodyError(f"{where} is not a JSON object")
    return value


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Seconds the server asks us to wait: retry-after-ms, Retry-After, or Kong's header."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
            return max(0.0, seconds) if math.isfinite(seconds) else None
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError, OverflowError):
                continue
    for name, value in headers.items():
        if name.lower().startswith("x-ai-ratelimit-retry-after"):
            try:
                seconds = float(value)
            except ValueError:
                continue
            return max(0.0, seconds) if math.isfinite(seconds) else None
    return None
