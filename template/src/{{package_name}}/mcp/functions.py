"""call_tool and list_tools: the Restack functions through which agents use MCP tools.

Tool calls are I/O, so they run here and never in agent code. Call it as a step:

    result = await agent.step(
        function=call_tool,
        function_input=CallToolInput(server="text", tool="slugify", arguments={...}),
        retry_policy=CALL_TOOL_RETRY,
        schedule_to_close_timeout=CALL_TOOL_TIMEOUT,
        start_to_close_timeout=CALL_TOOL_ATTEMPT_TIMEOUT,
        heartbeat_timeout=CALL_TOOL_HEARTBEAT_TIMEOUT,
    )

The result lands in the agent's history, so a completed call is never repeated after a
worker crash; a call cut short by a crash is retried once its heartbeat goes quiet
(seconds, not the whole attempt timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from mcp.types import Tool
from pydantic import BaseModel, Field
from restack_ai.agent import RetryPolicy
from restack_ai.function import NonRetryableError, RetryableError, function
from temporalio import activity

from ..common.observability import function_logger
from .client import FastMCPClient, ToolError
from .metrics import observed_tool_call
from .schemas import ToolCatalog

# A tool that failed on bad input fails the same way again, so those errors are not
# retried at all; connection losses and timeouts get a few quick attempts.
CALL_TOOL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
    maximum_attempts=3,
)
CALL_TOOL_TIMEOUT = timedelta(minutes=3)
CALL_TOOL_ATTEMPT_TIMEOUT = timedelta(seconds=60)
CALL_TOOL_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
_HEARTBEAT_EVERY = 2.0
# restack_ai's StepKwargs type leaves these out although `step` hands them to the engine;
# spread them into `agent.step(..., **CALL_TOOL_STEP_TIMEOUTS)` so that a call whose worker
# died is retried as soon as its heartbeat stops, not after the whole attempt timeout.
CALL_TOOL_STEP_TIMEOUTS: dict[str, Any] = {
    "start_to_close_timeout": CALL_TOOL_ATTEMPT_TIMEOUT,
    "heartbeat_timeout": CALL_TOOL_HEARTBEAT_TIMEOUT,
}


class CallToolInput(BaseModel):
    server: str = Field(description="Server name from config/tools.yaml, e.g. text")
    tool: str = Field(description="Tool name on that server")
    arguments: dict[str, Any] = Field(default_factory=dict)
    timeout: float | None = Field(default=None, gt=0, description="Seconds; default per server")


class CallToolOutput(BaseModel):
    server: str
    tool: str
    data: Any = Field(description="The tool's structured result (None for text-only tools)")
    text: str = Field(description="The text content the tool returned")


async def _heartbeat() -> None:
    while True:
        activity.heartbeat()
        await asyncio.sleep(_HEARTBEAT_EVERY)


@function.defn()
async def call_tool(function_input: CallToolInput) -> CallToolOutput:
    beating = asyncio.create_task(_heartbeat()) if activity.in_activity() else None
    try:
        with observed_tool_call(function_input.server, function_input.tool):
            result = await FastMCPClient(function_input.server).call_tool(
                function_input.tool, function_input.arguments, timeout=function_input.timeout
            )
    except ToolError as error:
        if error.retryable:
            raise RetryableError(str(error)) from error
        raise NonRetryableError(str(error)) from error
    finally:
        if beating is not None:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
    return CallToolOutput(
        server=result.server, tool=result.tool, data=result.data, text=result.text
    )


# Listing fails the way calling does (a server starting or restarting), so it retries alike.
LIST_TOOLS_RETRY = CALL_TOOL_RETRY
LIST_TOOLS_TIMEOUT = timedelta(minutes=2)


class ToolTarget(BaseModel):
    server: str
    tool: str


class ListToolsInput(BaseModel):
    servers: list[str] = Field(min_length=1, description="Server names from config/tools.yaml")


class ListToolsOutput(BaseModel):
    definitions: list[dict[str, Any]] = Field(description="OpenAI-style `tools` for llm_chat")
    targets: dict[str, ToolTarget] = Field(description="Exposed tool name -> server and tool")


@function.defn()
async def list_tools(function_input: ListToolsInput) -> ListToolsOutput:
    log = function_logger(servers=function_input.servers)
    tools_by_server: dict[str, Iterable[Tool]] = {}
    for server in function_input.servers:
        try:
            tools_by_server[server] = await FastMCPClient(server).list_tools()
        except ToolError as error:
            log.warning("list_tools_failed", server=server, error=str(error))
            if error.retryable:
                raise RetryableError(str(error)) from error
            raise NonRetryableError(str(error)) from error
    catalog = ToolCatalog.from_servers(tools_by_server)
    log.info("tools_listed", count=len(catalog.entries))
    return ListToolsOutput(
        definitions=catalog.openai_tools(),
        targets={
            name: ToolTarget(server=ref.server, tool=ref.tool)
            for name, (ref, _) in catalog.entries.items()
        },
    )
