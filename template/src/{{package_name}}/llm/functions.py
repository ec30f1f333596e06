# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`llm_chat`: the Restack function agents call for every LLM request.

An LLM agent reaches it through its loop (llm/agent_loop.py); other code calls it as a
step with the policy of common/policies.py:

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

from pydantic import BaseModel, Field, ValidationError
from restack_ai.function import NonRetryableError, function
from temporalio import activity
from temporalio.exceptions import ApplicationError

from ..common.llm_router import ConfigError, LLMError, LLMRequest, LLMRouter, ToolCall
from ..common.observability import function_logger
from .budget import Spend
from .errors import LLMErrorType
from .metrics import llm_agent_cost_usd_total
from .models import FinishReason, ToolChoice

DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_TOKENS = 4096
MAX_RETRY_DELAY_SECONDS = 86_400.0  # a day: the longest window a rate limit has


class LLMChatInput(BaseModel):
    messages: list[dict[str, Any]] = Field(min_length=1, description="OpenAI-style messages")
    tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_choice: ToolChoice | None = None
    model: str | None = Field(default=None, description="A provider name or model override")
    temperature: float | None = Field(default=None, description=f"None: {DEFAULT_TEMPERATURE}")
    max_tokens: int | None = Field(default=None, description=f"None: {DEFAULT_MAX_TOKENS}")
    defaults: dict[str, Any] = Field(
        default_factory=dict,
        description="model, temperature, max_tokens for what the request leaves unset "
        "(a prompt's frontmatter); the model only where an enabled provider serves it",
    )
    run_cost_usd: float = Field(
        default=0.0,
        ge=0,
        description="What the agent run has spent so far, for the per-run budget "
        "(an LLM agent fills it in)",
    )


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


def _served_model(router: LLMRouter, model: object) -> str | None:
    """A default model (a prompt's), if some enabled provider serves it (else the priority list)."""
    if isinstance(model, str) and any(model in (p.name, p.model) for p in router.providers):
        return model
    return None


@function.defn()
async def llm_chat(function_input: LLMChatInput) -> LLMChatOutput:
    try:
        router = shared_router()
    except ConfigError as error:
        # A broken config fails the same way on every attempt: say so once.
        raise NonRetryableError(message=str(error)) from error
    defaults = function_input.defaults
    try:
        request = LLMRequest(
            messages=function_input.messages,
            tools=function_input.tools,
            tool_choice=function_input.tool_choice,
            model=function_input.model or _served_model(router, defaults.get("model")),
            temperature=_first(
                function_input.temperature, defaults.get("temperature"), DEFAULT_TEMPERATURE
            ),
            max_tokens=_first(
                function_input.max_tokens, defaults.get("max_tokens"), DEFAULT_MAX_TOKENS
            ),
        )
    except ValidationError as error:
        # A request the router refuses (a bad temperature, say) is refused again on retry.
        raise NonRetryableError(message=f"Invalid LLM request: {error}") from error
    log = function_logger(messages=len(request.messages), tools=len(request.tools))
    spend = _spend(function_input.run_cost_usd)
    try:
        response = await router.chat(request, spend=spend)
    except LLMError as error:
        log.error("llm_chat_failed", error_type=error.error_type.value, retryable=error.retryable)
        if not error.retryable:
            raise NonRetryableError(message=str(error)) from error
        if error.error_type is LLMErrorType.RATE_LIMIT and error.retry_after:
            # The limiter knows when the window frees up: retry then, not on the
            # policy's backoff.
            delay = timedelta(seconds=min(error.retry_after, MAX_RETRY_DELAY_SECONDS))
            raise ApplicationError(str(error), next_retry_delay=delay) from error
        raise
    costs: dict[str, float] = {}
    if router.tracks_cost and spend.agent:
        llm_agent_cost_usd_total.labels(spend.agent).inc(response.cost_usd)
    if router.logs_cost:
        run_cost = spend.spent_usd + response.cost_usd
        costs = {"cost_usd": round(response.cost_usd, 6), "run_cost_usd": round(run_cost, 6)}
    log.info(
        "llm_chat_done",
        provider=response.provider,
        model=response.model,
        total_tokens=response.usage.get("total_tokens", 0),
        attempts=response.attempts,
        **costs,
    )
    return LLMChatOutput(**response.model_dump(include=set(LLMChatOutput.model_fields)))


def _spend(run_cost_usd: float) -> Spend:
    """The agent run this call is for (none when called outside a function step)."""
    if not activity.in_activity():
        return Spend(spent_usd=run_cost_usd)
    info = activity.info()
    return Spend(run_id=info.workflow_run_id, agent=info.workflow_type, spent_usd=run_cost_usd)


def _first(*values: Any) -> Any:
    return next(value for value in values if value is not None)
