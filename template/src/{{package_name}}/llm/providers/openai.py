"""The OpenAI chat-completions wire format: OpenAI, any OpenAI-compatible server, and Kong."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..config import ProviderConfig, RouterSettings
from ..errors import LLMErrorType
from ..models import FinishReason, LLMRequest, LLMResponse, ToolCall, usage
from .base import HTTPProvider

_FINISH: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
}


class OpenAIProvider(HTTPProvider):
    def url(self) -> str:
        return f"{self.config.url}/chat/completions"

    def headers(self) -> dict[str, str]:
        headers = dict(self.config.headers)
        if self.config.api_key:
            headers["authorization"] = f"Bearer {self.config.api_key}"
        return headers

    def body(self, request: LLMRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "temperature": request.temperature,
            "max_tokens": self.max_tokens(request),
        }
        if request.tools:
            body["tools"] = request.tools
            if request.tool_choice is not None:
                body["tool_choice"] = request.tool_choice
        return body

    def served_model(self, data: dict[str, Any], response: httpx.Response) -> str:
        return str(data.get("model") or self.model)

    def parse(self, data: dict[str, Any], response: httpx.Response) -> LLMResponse:
        if "error" in data and not data.get("choices"):
            error = data["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise self.error(LLMErrorType.LLM_ERROR, f"200 with an error body: {message}", False)
        try:
            choice = data["choices"][0]
            message = choice["message"]
            reason = choice.get("finish_reason") or "stop"
        except (KeyError, IndexError, TypeError):
            raise self.error(
                LLMErrorType.MALFORMED_RESPONSE,
                "the response has no choices[0].message",
                False,
            ) from None
        if reason == "content_filter" or message.get("refusal"):
            why = message.get("refusal") or "finish_reason content_filter"
            raise self.error(LLMErrorType.CONTENT_FILTER, f"the model refused: {why}", False)
        tool_calls = []
        for call in message.get("tool_calls") or []:
            try:
                function = call["function"]
                arguments = json.loads(function.get("arguments") or "{}")
                tool_calls.append(
                    ToolCall(id=call["id"], name=function["name"], arguments=arguments)
                )
            except (KeyError, TypeError, ValueError):
                raise self.error(
                    LLMErrorType.MALFORMED_RESPONSE,
                    "a tool call has no id/name or its arguments are not JSON",
                    False,
                ) from None
        raw_usage = data.get("usage") or {}
        return LLMResponse(
            content=message.get("content") or "",
            model=self.served_model(data, response),
            usage=usage(
                int(raw_usage.get("prompt_tokens") or 0),
                int(raw_usage.get("completion_tokens") or 0),
            ),
            provider=self.name,
            tool_calls=tool_calls,
            finish_reason="tool_calls" if tool_calls else _FINISH.get(reason, "other"),
        )


class KongProvider(OpenAIProvider):
    """A provider reached through a Kong AI Gateway route (ai-proxy, llm/v1/chat).

    Kong takes and returns the OpenAI format whatever the upstream provider is, holds the
    provider keys itself, and names the model that served in `X-Kong-LLM-Model`.
    """

    def __init__(
        self,
        config: ProviderConfig,
        key_variables: list[str] | None,
        router: RouterSettings,
    ) -> None:
        super().__init__(config, key_variables)
        self.router = router

    @property
    def endpoint(self) -> str:
        return str(self.router.url).rstrip("/")

    def url(self) -> str:
        route = self.config.kong_route or f"/{self.name}/chat"
        return f"{self.endpoint}/{route.lstrip('/')}"

    def headers(self) -> dict[str, str]:
        headers = dict(self.config.headers)
        if self.router.api_key:
            headers[self.router.api_key_header] = self.router.api_key
        return headers

    def served_model(self, data: dict[str, Any], response: httpx.Response) -> str:
        return response.headers.get("x-kong-llm-model") or super().served_model(data, response)
