# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Request and response types shared by every provider (OpenAI-style messages and tools)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

FinishReason = Literal["stop", "length", "tool_calls", "content_filter", "other"]
ToolChoice = Literal["auto", "none", "required"] | dict[str, Any]


class ToolCall(BaseModel):
    """One function call the model asks for; `arguments` is already parsed from JSON."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class LLMRequest(BaseModel):
    """A chat request in OpenAI message format.

    Messages are `{"role": "system"|"user"|"assistant"|"tool", "content": ...}`; an
    assistant message may carry `tool_calls` and a tool message `tool_call_id`, exactly
    as the OpenAI chat API has them. Providers with another format translate.
    """

    messages: list[dict[str, Any]] = Field(min_length=1)
    model: str | None = Field(
        default=None, description="A provider name or model to use instead of the priority list"
    )
    temperature: float = Field(default=0.7, ge=0, le=2)
    max_tokens: int = Field(default=4096, gt=0)
    tools: list[dict[str, Any]] = Field(
        default_factory=list, description="Function definitions with JSON-schema parameters"
    )
    tool_choice: ToolChoice | None = None

    @field_validator("tools")
    @classmethod
    def _openai_tool_shape(cls, tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Accept `{"name", "description", "parameters"}` and wrap it the OpenAI way."""
        shaped = []
        for tool in tools:
            if tool.get("type") == "function" and isinstance(tool.get("function"), dict):
                function = tool["function"]
            elif "name" in tool:
                function = tool
            else:
                raise ValueError(
                    "each tool needs a `name` (or the OpenAI form "
                    '{"type": "function", "function": {"name": ...}})'
                )
            shaped.append(
                {
                    "type": "function",
                    "function": {
                        "name": function["name"],
                        "description": function.get("description", ""),
                        "parameters": function.get("parameters")
                        or {"type": "object", "properties": {}},
                    },
                }
            )
        return shaped

    @field_validator("messages")
    @classmethod
    def _roles(cls, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for index, message in enumerate(messages):
            if message.get("role") not in {"system", "user", "assistant", "tool"}:
                raise ValueError(
                    f"messages[{index}] needs a role of system, user, assistant or tool "
                    f"(got {message.get('role')!r})"
                )
        return messages


class LLMResponse(BaseModel):
    content: str
    model: str
    usage: dict[str, int]
    provider: str
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason = "stop"
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    attempts: int = 1
    providers_tried: list[str] = Field(default_factory=list)


def usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters per token) for limits and dry runs."""
    return max(1, (len(text) + 3) // 4)


def estimate_prompt_tokens(request: LLMRequest) -> int:
    total = 0
    for message in request.messages:
        content = message.get("content")
        text = content if isinstance(content, str) else str(content or "")
        total += estimate_tokens(text) + 4  # role and separators
    for tool in request.tools:
        total += estimate_tokens(str(tool["function"]))
    return total
