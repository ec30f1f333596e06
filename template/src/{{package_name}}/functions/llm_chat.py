"""`llm_chat`: the Restack function agents call for every LLM request.

    from ..functions.llm_chat import LLM_CHAT_RETRY, LLM_CHAT_TIMEOUT, LLMChatInput, llm_chat
    reply = await agent.step(
        function=llm_chat,
        function_input=LLMChatInput(messages=[{"role": "user", "content": question}]),
        retry_policy=LLM_CHAT_RETRY,
        schedule_to_close_timeout=LLM_CHAT_TIMEOUT,
    )

The router does all provider-level retrying and fallback inside one attempt of this
function; the engine's own retries (bounded by LLM_CHAT_RETRY) only cover what is left:
every provider down at once, or the worker dying mid-call. A completed call is recorded
in the agent's history, so a restarted worker never pays for it twice.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, Field
from restack_ai.agent import RetryPolicy
from restack_ai.function import NonRetryableError, function

from ..common.llm.models import FinishReason, ToolChoice
from ..common.llm_router import ConfigError, LLMError, LLMRequest, LLMRouter, ToolCall
from ..common.observability import function_logger

LLM_CHAT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=3,
)
LLM_CHAT_TIMEOUT = timedelta(minutes=10)


class LLMChatInput(BaseModel):
    messages: list[dict[str, Any]] = Field(min_length=1, description="OpenAI-style messages")
    tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_choice: ToolChoice | None = None
    model: str | None = Field(default=None, description="A provider name or model override")
    temperature: float = 0.7
    max_tokens: int = 4096


class LLMChatOutput(BaseModel):
    content: str
    model: str
    provider: str
    usage: dict[str, int]
    tool_calls: list[ToolCall] = Field(default_factory=list)
    finish_reason: FinishReason = "stop"
    cost_usd: float = 0.0
    attempts: int = 1
    providers_tried: list[str] = Field(default_factory=list)


_router: LLMRouter | None = None
_router_loop: asyncio.AbstractEventLoop | None = None


def shared_router() -> LLMRouter:
    """The process-wide router (one connection pool), created on first use."""
    global _router, _router_loop
    loop = asyncio.get_running_loop()
    if _router is None or _router_loop is not loop:
        # An HTTP pool belongs to one event loop; a new loop (tests) gets a new router.
        _router, _router_loop = LLMRouter(), loop
    return _router


async def close_shared_router() -> None:
    global _router, _router_loop
    if _router is not None:
        await _router.close()
    _router, _router_loop = None, None


@function.defn()
async def llm_chat(function_input: LLMChatInput) -> LLMChatOutput:
    request = LLMRequest(
        messages=function_input.messages,
        tools=function_input.tools,
        tool_choice=function_input.tool_choice,
        model=function_input.model,
        temperature=function_input.temperature,
        max_tokens=function_input.max_tokens,
    )
    log = function_logger(messages=len(request.messages), tools=len(request.tools))
    try:
        router = shared_router()
    except ConfigError as error:
        # A broken config fails the same way on every attempt: say so once.
        raise NonRetryableError(message=str(error)) from error
    try:
        response = await router.chat(request)
    except LLMError as error:
        log.error("llm_chat_failed", error_type=error.error_type.value, retryable=error.retryable)
        if not error.retryable:
            raise NonRetryableError(message=str(error)) from error
        raise
    log.info(
        "llm_chat_done",
        provider=response.provider,
        model=response.model,
        total_tokens=response.usage.get("total_tokens", 0),
        attempts=response.attempts,
    )
    return LLMChatOutput(
        **response.model_dump(include=set(LLMChatOutput.model_fields)),
    )
