# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The offline `mock` provider: deterministic answers, no network, no key.

With no tools it answers from the last user message. Offered tools, it first asks for
every tool once (arguments built from each tool's JSON schema), and once the tool
results are in the conversation it answers from them: enough to run an agent's whole
tool loop offline. It is used only when config/llm_router.yaml enables it explicitly.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from ..models import LLMRequest, LLMResponse, ToolCall, estimate_tokens, usage
from .base import Provider


def _text(content: Any) -> str:
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _example_value(schema: dict[str, Any], prompt: str) -> Any:
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return prompt


def mock_reply(
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]],
    tool_choice: Any = None,
) -> tuple[str, list[ToolCall]]:
    """The mock model's answer: (text, tool calls). Pure function of its input."""
    last_user = max(
        (i for i, message in enumerate(messages) if message.get("role") == "user"), default=-1
    )
    prompt = _text(messages[last_user].get("content")) if last_user >= 0 else ""
    results = [message for message in messages[last_user + 1 :] if message.get("role") == "tool"]
    if results:
        names = {
            call.get("id"): call.get("function", {}).get("name", "tool")
            for message in messages[last_user + 1 :]
            for call in message.get("tool_calls") or []
        }
        parts = [
            f"{names.get(result.get('tool_call_id'), 'tool')}: {_text(result.get('content'))}"
            for result in results
        ]
        return f"Based on the tool results - {'; '.join(parts)}", []
    if tools and tool_choice != "none":
        chosen = tools
        if isinstance(tool_choice, dict):
            wanted = tool_choice.get("function", {}).get("name")
            chosen = [tool for tool in tools if tool["function"]["name"] == wanted] or tools
        calls = []
        for index, tool in enumerate(chosen):
            function = tool["function"]
            schema = function.get("parameters") or {}
            properties: dict[str, Any] = schema.get("properties") or {}
            required = schema.get("required") or list(properties)
            arguments = {
                name: _example_value(properties.get(name, {}), prompt) for name in required
            }
            calls.append(
                ToolCall(id=f"call_mock_{index}", name=function["name"], arguments=arguments)
            )
        return "", calls
    return f"Mock answer to: {prompt}", []


def tool_calls_as_openai(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [
        {
            "id": call.id,
            "type": "function",
            "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
        }
        for call in calls
    ]


class MockProvider(Provider):
    @property
    def endpoint(self) -> str:
        return "mock://offline"

    async def complete(self, client: httpx.AsyncClient, request: LLMRequest) -> LLMResponse:
        await asyncio.sleep(0)  # behave like I/O: let other tasks run
        text, calls = mock_reply(request.messages, request.tools, request.tool_choice)
        prompt_tokens = sum(estimate_tokens(_text(m.get("content"))) for m in request.messages)
        completion_tokens = estimate_tokens(text + json.dumps([c.arguments for c in calls]))
        return LLMResponse(
            content=text,
            model=self.model,
            usage=usage(prompt_tokens, min(completion_tokens, self.max_tokens(request))),
            provider=self.name,
            tool_calls=calls,
            finish_reason="tool_calls" if calls else "stop",
        )
