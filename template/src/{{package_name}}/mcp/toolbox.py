# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The tools an agent may use, agent-side: the `list_tools` and `call_tool` steps.

    tools = ToolBox("text", "research")     # servers from config/tools.yaml
    loaded = await tools.load()             # one list_tools step
    outcome = await loaded.call("text__slugify", {"title": "Hi"})  # one call_tool step

This module runs inside agents (deterministic, no I/O of its own): every call is a step,
recorded in the agent's history, with the policies of common/policies.py. A `ToolBox`
holds only server names, so an agent class can keep one as a class attribute; what
`load` lists belongs to one run.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from restack_ai.agent import agent, import_functions
from temporalio.exceptions import ActivityError

with import_functions():
    from ..common.policies import (
        CALL_TOOL_RETRY,
        CALL_TOOL_STEP_TIMEOUTS,
        CALL_TOOL_TIMEOUT,
        LIST_TOOLS_RETRY,
        LIST_TOOLS_TIMEOUT,
        StepRunner,
    )
    from .functions import (
        CallToolInput,
        CallToolOutput,
        ListToolsInput,
        ListToolsOutput,
        call_tool,
        list_tools,
    )


class ToolOutcome(BaseModel):
    """What one tool call came to; `text` is what the LLM is told either way."""

    server: str | None  # None: the LLM asked for a tool that was not offered
    tool: str
    ok: bool
    text: str


class LoadedTools:
    """The tools of one run: their definitions for the LLM, and how to call each."""

    def __init__(self, listing: ListToolsOutput, step: StepRunner) -> None:
        self.definitions = listing.definitions
        self._targets = listing.targets
        self._step = step

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Run one call as a durable step; a failure becomes text for the LLM, not an error."""
        target = self._targets.get(name)
        if target is None:
            known = ", ".join(sorted(self._targets)) or "none"
            text = f"Unknown tool {name!r}; available tools: {known}."
            return ToolOutcome(server=None, tool=name, ok=False, text=text)
        try:
            output: CallToolOutput = await self._step(
                function=call_tool,
                function_input=CallToolInput(
                    server=target.server, tool=target.tool, arguments=arguments
                ),
                retry_policy=CALL_TOOL_RETRY,
                schedule_to_close_timeout=CALL_TOOL_TIMEOUT,
                **CALL_TOOL_STEP_TIMEOUTS,
            )
        except ActivityError as error:
            # The step's retries are spent (or the tool refused the input): the LLM decides.
            cause = str(error.cause) if error.cause is not None else str(error)
            text = f"Tool {target.tool} failed: {cause}"
            return ToolOutcome(server=target.server, tool=target.tool, ok=False, text=text)
        return ToolOutcome(server=target.server, tool=target.tool, ok=True, text=output.text)


class ToolBox:
    """Tool servers from config/tools.yaml, listed once per run with `load`."""

    def __init__(self, *servers: str, step: StepRunner = agent.step) -> None:
        if not servers:
            raise ValueError("ToolBox needs at least one server name from config/tools.yaml")
        self.servers = list(servers)
        self._step = step

    def __repr__(self) -> str:
        return f"ToolBox({', '.join(map(repr, self.servers))})"

    async def load(self) -> LoadedTools:
        listing: ListToolsOutput = await self._step(
            function=list_tools,
            function_input=ListToolsInput(servers=self.servers),
            retry_policy=LIST_TOOLS_RETRY,
            schedule_to_close_timeout=LIST_TOOLS_TIMEOUT,
        )
        return LoadedTools(listing, self._step)
