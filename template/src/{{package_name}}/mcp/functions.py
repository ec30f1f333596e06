# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""call_tool and list_tools: the Restack functions through which agents use MCP tools.

Tool calls are I/O, so they run here and never in agent code. An LLM agent reaches them
through `ToolBox` (mcp/toolbox.py); other code calls them as steps with the policies of
common/policies.py:

    result = await agent.step(
        function=call_tool,
        function_input=CallToolInput(server="text", tool="slugify", arguments={...}),
        retry_policy=CALL_TOOL_RETRY,
        schedule_to_close_timeout=CALL_TOOL_TIMEOUT,
        **CALL_TOOL_STEP_TIMEOUTS,
    )

The result lands in the agent's history, so a completed call is never repeated after a
worker crash; a call cut short by a crash is retried once its heartbeat goes quiet
(seconds, not the whole attempt timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from restack_ai.function import NonRetryableError, RetryableError, function
from temporalio import activity

from ..common.errors import explain
from ..common.observability import function_logger
from .errors import ToolCallError
from .metrics import observed_tool_call
from .schemas import ToolCatalog

if TYPE_CHECKING:
    from mcp.types import Tool

    from .client import FastMCPClient


def _client(server: str) -> FastMCPClient:
    # The MCP client (FastMCP and the mcp package's models: a second or so to import) is
    # loaded by the first tool call. Agents import this module for its functions and
    # input models, and `restack run:agent` checks an agent's input with no tool to call.
    from .client import FastMCPClient

    return FastMCPClient(server)


# Well inside CALL_TOOL_HEARTBEAT_TIMEOUT (common/policies.py), so a live call is never
# taken for a dead one.
_HEARTBEAT_EVERY = 2.0


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
            result = await _client(function_input.server).call_tool(
                function_input.tool, function_input.arguments, timeout=function_input.timeout
            )
    except ToolCallError as error:
        if error.retryable:
            raise RetryableError(str(error)) from error
        raise NonRetryableError(explain(error)) from error
    finally:
        if beating is not None:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
    return CallToolOutput(
        server=result.server, tool=result.tool, data=result.data, text=result.text
    )


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
            tools_by_server[server] = await _client(server).list_tools()
        except ToolCallError as error:
            log.warning("list_tools_failed", server=server, error=str(error))
            if error.retryable:
                raise RetryableError(str(error)) from error
            raise NonRetryableError(explain(error)) from error
    catalog = ToolCatalog.from_servers(tools_by_server)
    log.info("tools_listed", count=len(catalog.entries))
    return ListToolsOutput(
        definitions=catalog.openai_tools(),
        targets={
            name: ToolTarget(server=ref.server, tool=ref.tool)
            for name, (ref, _) in catalog.entries.items()
        },
    )
