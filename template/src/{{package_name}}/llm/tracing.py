# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Spans for LLM requests, following OpenTelemetry's GenAI semantic conventions.

With tracing on, each provider the router builds is wrapped so that every request to it
(each retry and fallback hop too) is one `chat <model>` span inside the `llm_chat` step.
With tracing off providers are used as they are.
"""

from __future__ import annotations

from typing import Any

import httpx
from opentelemetry.trace import SpanKind

from ..common.tracing import (
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MAX_TOKENS,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_REQUEST_TEMPERATURE,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    span,
    tracer,
)
from .models import LLMRequest, LLMResponse
from .providers import Provider

# gen_ai.provider.name values of the conventions, by provider type in the config.
_SYSTEMS = {"openai": "openai", "anthropic": "anthropic"}


class TracedProvider(Provider):
    """A provider whose every request is a GenAI `chat` span."""

    def __init__(self, inner: Provider) -> None:
        super().__init__(inner.config, inner.key_variables)
        self.inner = inner
        self._attributes: dict[str, Any] = {
            GEN_AI_OPERATION_NAME: "chat",
            GEN_AI_PROVIDER_NAME: _SYSTEMS.get(inner.config.type, inner.config.type),
            GEN_AI_REQUEST_MODEL: inner.model,
            "restack.llm.provider": inner.name,
        }

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    @property
    def endpoint(self) -> str:
        return self.inner.endpoint

    async def complete(self, client: httpx.AsyncClient, request: LLMRequest) -> LLMResponse:
        attributes = {
            **self._attributes,
            GEN_AI_REQUEST_MAX_TOKENS: self.inner.max_tokens(request),
            GEN_AI_REQUEST_TEMPERATURE: request.temperature,
        }
        with span(f"chat {self.model}", attributes, SpanKind.CLIENT) as current:
            response = await self.inner.complete(client, request)
            if current is not None:
                current.set_attributes(
                    {
                        GEN_AI_RESPONSE_MODEL: response.model,
                        GEN_AI_RESPONSE_FINISH_REASONS: [response.finish_reason],
                        GEN_AI_USAGE_INPUT_TOKENS: response.usage.get("prompt_tokens", 0),
                        GEN_AI_USAGE_OUTPUT_TOKENS: response.usage.get("completion_tokens", 0),
                    }
                )
            return response


def traced(provider: Provider) -> Provider:
    """`provider`, wrapped in a span per request when tracing is on."""
    return provider if tracer() is None else TracedProvider(provider)
