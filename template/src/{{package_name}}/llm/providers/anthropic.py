"""The Anthropic Messages API: system prompt apart, content blocks, tool_use/tool_result."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..errors import LLMErrorType
from ..models import FinishReason, LLMRequest, LLMResponse, ToolCall, usage
from .base import HTTPProvider

_STOP: dict[str, FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
}


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def to_anthropic_messages(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Split out the system prompt and translate OpenAI-style turns into Anthropic blocks."""
    system: list[str] = []
    turns: list[dict[str, Any]] = []

    def add(role: str, blocks: list[dict[str, Any]]) -> None:
        # Anthropic wants strictly alternating roles: merge consecutive turns of one role.
        if turns and turns[-1]["role"] == role:
            turns[-1]["content"].extend(blocks)
        else:
            turns.append({"role": role, "content": blocks})

    for message in messages:
        role = message["role"]
        if role == "system":
            system.append(_text(message.get("content")))
        elif role == "tool":
            add(
                "user",
                [
                    {
                        "type": "tool_result",
                        "tool_use_id": message.get("tool_call_id", ""),
                        "content": _text(message.get("content")),
                    }
                ],
            )
        elif role == "assistant":
            blocks: list[dict[str, Any]] = []
            text = _text(message.get("content"))
            if text:
                blocks.append({"type": "text", "text": text})
            for call in message.get("tool_calls") or []:
                function = call.get("function", {})
                arguments = function.get("arguments") or "{}"
                blocks.append(
                    {
                        "type": "tool_use",
                        "id": call.get("id", ""),
                        "name": function.get("name", ""),
                        "input": json.loads(arguments) if isinstance(arguments, str) else arguments,
                    }
                )
            add("assistant", blocks or [{"type": "text", "text": ""}])
        else:
            add("user", [{"type": "text", "text": _text(message.get("content"))}])
    return "\n\n".join(part for part in system if part), turns


def to_anthropic_tool_choice(choice: Any) -> dict[str, Any] | None:
    if choice is None or choice == "auto":
        return {"type": "auto"}
    if choice == "required":
        return {"type": "any"}
    if choice == "none":
        return {"type": "none"}
    if isinstance(choice, dict):
        name = choice.get("function", {}).get("name") or choice.get("name")
        if name:
            return {"type": "tool", "name": name}
    return None


class AnthropicProvider(HTTPProvider):
    def url(self) -> str:
        return f"{self.config.url}/v1/messages"

    def headers(self) -> dict[str, str]:
        headers = {**self.config.headers, "anthropic-version": self.config.anthropic_version}
        if self.config.api_key:
            headers["x-api-key"] = self.config.api_key
        return headers

    def body(self, request: LLMRequest) -> dict[str, Any]:
        system, messages = to_anthropic_messages(request.messages)
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens(request),  # required by the Messages API
            "messages": messages,
            "temperature": min(request.temperature, 1.0),  # Anthropic's range is 0..1
        }
        if system:
            body["system"] = system
        if request.tools:
            body["tools"] = [
                {
                    "name": tool["function"]["name"],
                    "description": tool["function"]["description"],
                    "input_schema": tool["function"]["parameters"],
                }
                for tool in request.tools
            ]
            choice = to_anthropic_tool_choice(request.tool_choice)
            if choice is not None:
                body["tool_choice"] = choice
        return body

    def parse(self, data: dict[str, Any], response: httpx.Response) -> LLMResponse:
        if data.get("type") == "error" or "error" in data:
            error = data.get("error")
            message = error.get("message") if isinstance(error, dict) else error
            raise self.error(LLMErrorType.LLM_ERROR, f"200 with an error body: {message}", False)
        blocks = data.get("content")
        stop = data.get("stop_reason")
        if not isinstance(blocks, list) or stop is None:
            raise self.error(
                LLMErrorType.MALFORMED_RESPONSE,
                "the response has no content list or stop_reason",
                False,
            )
        if stop == "refusal":
            raise self.error(LLMErrorType.CONTENT_FILTER, "the model refused (refusal)", False)
        texts: list[str] = []
        tool_calls: list[ToolCall] = []
        for block in blocks:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "text":
                texts.append(str(block.get("text", "")))
            elif block.get("type") == "tool_use":
                if "id" not in block or "name" not in block:
                    raise self.error(
                        LLMErrorType.MALFORMED_RESPONSE, "a tool_use block has no id/name", False
                    )
                tool_calls.append(
                    ToolCall(id=block["id"], name=block["name"], arguments=block.get("input") or {})
                )
        raw_usage = data.get("usage") or {}
        return LLMResponse(
            content="".join(texts),
            model=str(data.get("model") or self.model),
            usage=usage(
                int(raw_usage.get("input_tokens") or 0), int(raw_usage.get("output_tokens") or 0)
            ),
            provider=self.name,
            tool_calls=tool_calls,
            finish_reason="tool_calls" if tool_calls else _STOP.get(str(stop), "other"),
        )
