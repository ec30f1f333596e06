# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The Anthropic Messages API: system prompt apart, content blocks, tool_use/tool_result."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ..errors import LLMErrorType
from ..models import FinishReason, LLMRequest, LLMResponse, ToolCall, usage
from .base import (
    HTTPProvider,
    MalformedBodyError,
    as_dict,
    as_text,
    error_text,
    token_count,
    tool_arguments,
)

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
        headers = {
            **self.config.header_values(),
            "anthropic-version": self.config.anthropic_version,
        }
        if self.config.key:
            headers["x-api-key"] = self.config.key
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
        if data.get("type") == "error" or data.get("error") is not None:
            detail = error_text(data.get("error"))
            raise self.error(LLMErrorType.LLM_ERROR, f"200 with an error body: {detail}", False)
        blocks = data.get("content")
        stop = data.get("stop_reason")
        if not isinstance(blocks, list) or not isinstance(stop, str):
            raise MalformedBodyError("the response has no content list or stop_reason")
        if stop == "refusal":
            raise self.error(LLMErrorType.CONTENT_FILTER, "the model refused (refusal)", False)
        texts: list[str] = []
        tool_calls: list[ToolCall] = []
        for index, block in enumerate(blocks):
            where = f"content[{index}]"
            block = as_dict(block, where)
            if block.get("type") == "text":
                texts.append(as_text(block.get("text"), f"{where}.text"))
            elif block.get("type") == "tool_use":
                call_id, name = block.get("id"), block.get("name")
                if not isinstance(call_id, str) or not isinstance(name, str) or not name:
                    raise MalformedBodyError(f"{where} (tool_use) has no id or name")
                arguments = tool_arguments(block.get("input"), f"{where}.input")
                tool_calls.append(ToolCall(id=call_id, name=name, arguments=arguments))
        raw_usage = data.get("usage")
        model = data.get("model")
        return LLMResponse(
            content="".join(texts),
            model=model if isinstance(model, str) and model else self.model,
            usage=usage(
                token_count(raw_usage, "input_tokens"), token_count(raw_usage, "output_tokens")
            ),
            provider=self.name,
            tool_calls=tool_calls,
            finish_reason="tool_calls" if tool_calls else _STOP.get(stop, "other"),
        )
