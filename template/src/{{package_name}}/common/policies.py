# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Retry policies and timeouts for every `step` call, the framework's and the app's.

A `step` without a retry policy is retried forever by the engine, so every step in this
project passes one of these bounded policies. They all live here so that one file shows
how long anything may take and how often it is tried again. The components' constants
are plain values: they are defined even when the component itself is switched off.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from restack_ai.agent import RetryPolicy

# How framework code runs a step: `agent.step` (or `workflow.step`), or a stand-in that
# takes the same keyword arguments in tests.
StepRunner = Callable[..., Awaitable[Any]]

# ---------------------------------------------------------------- the app's own functions

# Deterministic, in-process work: a failure is a bug, so retry only briefly.
QUICK_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=2),
    maximum_attempts=3,
)
QUICK_TIMEOUT = timedelta(seconds=30)

# Calls to the outside world (HTTP APIs, databases): transient failures are expected.
NETWORK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
NETWORK_TIMEOUT = timedelta(minutes=5)

# ---------------------------------------------------------------- llm: llm_chat

# The router already retries and falls back between providers inside one attempt, so the
# engine's retries only cover what is left: every provider down at once, or the worker
# dying mid-call. Few attempts, spaced out, because each one may cost money.
LLM_CHAT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=3,
)
# One attempt is bounded by the router's request deadline (`router.request_deadline` in
# config/llm_router.yaml, 45 s by default) plus a margin; the whole step by three such
# attempts and the waits between them. Raise these with the deadline.
LLM_CHAT_ATTEMPT_TIMEOUT = timedelta(seconds=60)
LLM_CHAT_TIMEOUT = timedelta(seconds=190)
# restack_ai's StepKwargs type leaves `start_to_close_timeout` out although `step` hands it
# to the engine; spread this into `step(...)` so a worker that died mid-call is retried
# after one attempt's time, not after the whole step's.
LLM_CHAT_STEP_TIMEOUTS: dict[str, Any] = {"start_to_close_timeout": LLM_CHAT_ATTEMPT_TIMEOUT}

# ---------------------------------------------------------------- mcp: call_tool, list_tools

# A tool that failed on bad input fails the same way again, so call_tool does not retry
# those at all; connection losses and timeouts get a few quick attempts.
CALL_TOOL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=3,
)
CALL_TOOL_TIMEOUT = timedelta(minutes=3)
# One attempt: a server's call timeout (config/tools.yaml, 30 s by default) plus its start.
CALL_TOOL_ATTEMPT_TIMEOUT = timedelta(seconds=60)
# call_tool heartbeats every few seconds, so a call whose worker died is retried after
# this long instead of after the whole attempt timeout.
CALL_TOOL_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# restack_ai's StepKwargs type leaves these out although `step` hands them to the engine;
# spread them into `agent.step(..., **CALL_TOOL_STEP_TIMEOUTS)`.
CALL_TOOL_STEP_TIMEOUTS: dict[str, Any] = {
    "start_to_close_timeout": CALL_TOOL_ATTEMPT_TIMEOUT,
    "heartbeat_timeout": CALL_TOOL_HEARTBEAT_TIMEOUT,
}

# Listing fails the way calling does (a server starting or restarting), so it retries alike.
LIST_TOOLS_RETRY = CALL_TOOL_RETRY
# Every server of the agent in one step, each possibly starting cold.
LIST_TOOLS_TIMEOUT = timedelta(minutes=2)

# ---------------------------------------------------------------- prompts: render_prompt

# Reading and filling a prompt file is local work; a wrong name, version or variable is
# not retried at all (render_prompt raises NonRetryableError), so what is left is a
# worker dying mid-step: a quick retry is enough.
RENDER_PROMPT_RETRY = QUICK_RETRY
RENDER_PROMPT_TIMEOUT = QUICK_TIMEOUT
