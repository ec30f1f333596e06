"""list_tools: the tools of some servers, as function-calling definitions for an LLM.

An agent calls it once as a step and offers `definitions` to `llm_chat`; when the LLM
calls a tool, `targets` maps the name it used back to the server and tool for
`call_tool`. Listing is I/O (it opens the servers' sessions), so it never runs in
agent code.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from mcp.types import Tool
from pydantic import BaseModel, Field
from restack_ai.function import NonRetryableError, RetryableError, function

from ..common.fastmcp_manager import FastMCPClient, ToolError
from ..common.observability import function_logger
from ..common.tool_schemas import ToolCatalog
from .call_tool import CALL_TOOL_RETRY

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
