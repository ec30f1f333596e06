# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The OpenAI chat-completions wire format: OpenAI, any OpenAI-compatible server, and Kong."""

from __future__ import annotations

import functools
import re
from typing import Any

import httpx

from ..config import ProviderConfig, RouterSettings
from ..errors import LLMError, LLMErrorType
from ..models import FinishReason, LLMRequest, LLMResponse, ToolCall, usage
from ..redaction import NO_SECRETS, Redactor
from .base import (
    HTTPProvider,
    MalformedBodyError,
    as_dict,
    as_list,
    as_text,
    error_message,
    error_text,
    token_count,
    tool_arguments,
)

# How Kong's content-safety plugin (ai-azure-content-safety) words a refusal; the exact
# text varies by version, and a 400 without these words stays an invalid request.
_SAFETY_REFUSAL = re.compile(r"content[ _-]?safety", re.IGNORECASE)

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


# OpenAI's reasoning families refuse `max_tokens` (they take `max_completion_tokens`) and
# any temperature but their default. A gateway or a compatible server may prefix the
# model with a namespace ("openai/o3-mini").
_REASONING_MODEL = re.compile(r"^(?:[\w.-]+/)*(?:o\d|gpt-5)(?:\b|[-.])", re.IGNORECASE)


@functools.lru_cache(maxsize=256)
def is_reasoning_model(model: str) -> bool:
    return _REASONING_MODEL.match(model) is not None


class OpenAIProvider(HTTPProvider):
    # OpenAI itself takes `max_completion_tokens` for every chat model; servers that only
    # copy the format (vLLM, Ollama, gateways) often know just `max_tokens`.
    newer_token_field = True

    def token_limit_field(self) -> str:
        chosen = self.config.max_tokens_field
        if chosen != "auto":
            return chosen
        if self.config.type == "openai" and self.newer_token_field:
            return "max_completion_tokens"
        return "max_completion_tokens" if is_reasoning_model(self.model) else "max_tokens"

    def url(self) -> str:
        return f"{self.config.url}/chat/completions"

    def headers(self) -> dict[str, str]:
        headers = self.config.header_values()
        if self.config.key:
            headers["authorization"] = f"Bearer {self.config.key}"
        return headers

    def body(self, request: LLMRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            self.token_limit_field(): self.max_tokens(request),
        }
        if not is_reasoning_model(self.model):
            body["temperature"] = request.temperature
        if request.tools:
            body["tools"] = request.tools
            if request.tool_choice is not None:
                body["tool_choice"] = request.tool_choice
        return body

    def parse(self, data: dict[str, Any], response: httpx.Response) -> LLMResponse:
        if data.get("error") is not None and not data.get("choices"):
            detail = error_text(data["error"])
            raise self.error(LLMErrorType.LLM_ERROR, f"200 with an error body: {detail}", False)
        choices = as_list(data.get("choices"), "choices")
        if not choices:
            raise MalformedBodyError("the response has no choices")
        choice = as_dict(choices[0], "choices[0]")
        message = as_dict(choice.get("message"), "choices[0].message")
        reason = as_text(choice.get("finish_reason"), "choices[0].finish_reason") or "stop"
        refusal = message.get("refusal")
        if reason == "content_filter" or refusal:
            why = refusal if isinstance(refusal, str) else "finish_reason content_filter"
            raise self.error(LLMErrorType.CONTENT_FILTER, f"the model refused: {why}", False)
        tool_calls = []
        for index, call in enumerate(as_list(message.get("tool_calls"), "message.tool_calls")):
            where = f"message.tool_calls[{index}]"
            call = as_dict(call, where)
            function = as_dict(call.get("function"), f"{where}.function")
            call_id, name = call.get("id"), function.get("name")
            if not isinstance(call_id, str) or not isinstance(name, str) or not name:
                raise MalformedBodyError(f"{where} has no id or function name")
            arguments = tool_arguments(function.get("arguments"), f"{where}.function.arguments")
            tool_calls.append(ToolCall(id=call_id, name=name, arguments=arguments))
        raw_usage = data.get("usage")
        model = data.get("model")
        return LLMResponse(
            content=_content(message.get("content")),
            model=model if isinstance(model, str) and model else self.model,
            usage=usage(
                token_count(raw_usage, "prompt_tokens"),
                token_count(raw_usage, "completion_tokens"),
            ),
            provider=self.name,
            tool_calls=tool_calls,
            finish_reason="tool_calls" if tool_calls else _FINISH.get(reason, "other"),
        )


def _content(content: Any) -> str:
    """A message's text: a string, or (some compatible servers) a list of text parts."""
    if isinstance(content, list):
        parts = [as_dict(part, "message.content[]") for part in content]
        return "".join(as_text(part.get("text"), "message.content[].text") for part in parts)
    return as_text(content, "message.content")


class KongProvider(OpenAIProvider):
    """A provider reached through a Kong AI Gateway route (ai-proxy, llm/v1/chat).

    Kong takes and returns the OpenAI format whatever the upstream provider is, holds the
    provider keys itself, and names the model that served in `X-Kong-LLM-Model`.
    """

    # Behind Kong the upstream may be any provider: the older, widely supported field
    # goes to all but the models that refuse it.
    newer_token_field = False

    def __init__(
        self,
        config: ProviderConfig,
        key_variables: list[str] | None,
        router: RouterSettings,
        redact: Redactor = NO_SECRETS,
    ) -> None:
        super().__init__(config, key_variables, redact)
        self.router = router

    @property
    def endpoint(self) -> str:
        return str(self.router.url).rstrip("/")

    def url(self) -> str:
        route = self.config.kong_route or f"/{self.name}/chat"
        return f"{self.endpoint}/{route.lstrip('/')}"

    def headers(self) -> dict[str, str]:
        headers = self.config.header_values()
        if self.router.key:
            headers[self.router.api_key_header] = self.router.key
        return headers

    def http_error(self, response: httpx.Response) -> LLMError:
        error = super().http_error(response)
        if response.status_code == 400 and _SAFETY_REFUSAL.search(error.message):
            # Kong's content-safety plugins refuse with a 400 naming the check. Every
            # route meets the same plugin, so no other provider is tried. Imported here:
            # safety registers Prometheus metrics, and the providers (with the fake
            # servers of llm/testing.py) must import without touching the registry.
            from ..safety import ContentBlockedError

            return ContentBlockedError(
                "input",
                "Kong's content-safety plugin refused the request "
                f"({self.redact(error_message(response))})",
                provider=self.name,
            )
        return error

    def parse(self, data: dict[str, Any], response: httpx.Response) -> LLMResponse:
        result = super().parse(data, response)
        served = response.headers.get("x-kong-llm-model")
        return result.model_copy(update={"model": served}) if served else result
