# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The durable tool-use loop of every LLM agent: subclass `LLMAgent`.

    @agent.defn()
    class Researcher(LLMAgent):
        tools = ToolBox("research")                  # optional (mcp/toolbox.py)
        instructions = Prompt("analyze_research")    # or a plain string (prompts/reference.py)

        @agent.run  # the engine needs `run` on the agent class itself
        async def run(self, agent_input: ResearcherInput) -> ResearcherOutput:
            result = await self.serve(agent_input)
            return ResearcherOutput(**result.model_dump())

A run renders its instructions and lists its tools once. Then, for the request and for
every `message` event after it, the loop asks the LLM (`llm_chat`), runs every tool call
it asks for as its own step (in parallel when there are several), feeds the results
back, and stops on an answer or after `max_steps` turns. An `end` event, or
`idle_seconds` without one, finishes the run. Each of those calls is a step recorded in
the agent's history, so a worker that dies mid-run is replaced without repeating a
finished LLM call, tool call or prompt rendering.

This module runs inside agents: deterministic, with no I/O of its own. It knows tools
and prompts only by the small interfaces below, so the tool and prompt components can
each be switched off. To customise, override `prompt_variables`, `conversation`,
`chat_request` or `shape_result`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, Field
from restack_ai.agent import agent, all_events_finished, condition, import_functions

with import_functions():
    from ..common.policies import (
        LLM_CHAT_RETRY,
        LLM_CHAT_STEP_TIMEOUTS,
        LLM_CHAT_TIMEOUT,
        StepRunner,
    )
    from .functions import LLMChatInput, LLMChatOutput, llm_chat
    from .models import ToolCall

Stopped = Literal["answer", "max_steps"]
PromptVariable = str | int | float

DEFAULT_INSTRUCTIONS = "You are a careful assistant. Answer clearly and concisely."


class LLMAgentInput(BaseModel):
    """What an LLM agent is asked; subclass it to add fields (they fill the prompt too)."""

    topic: str = Field(min_length=1, description="The request or topic to work on")
    max_steps: int = Field(default=8, ge=1, le=50, description="LLM turns per request")
    idle_seconds: int = Field(
        default=0,
        ge=0,
        le=86_400,
        description="Keep answering `message` events until this long without one",
    )


class ToolCallRecord(BaseModel):
    server: str
    tool: str
    arguments: dict[str, Any]
    ok: bool
    result: str


class LLMAgentOutput(BaseModel):
    answer: str
    model: str
    provider: str
    tokens: dict[str, int] = Field(description="Token usage summed over the whole run")
    prompt: str | None = Field(description="name@version of the prompt used, if any")
    tool_calls: list[ToolCallRecord] = Field(description="Every tool call of the run, in order")
    steps: int = Field(description="LLM turns taken for the last request")
    stopped: Stopped
    cost_usd: float = Field(default=0.0, description="Estimated LLM cost of the whole run")


class MessageEvent(BaseModel):
    text: str = Field(min_length=1)


class EndEvent(BaseModel):
    reason: str = "done"


# ------------------------------------------------------- what the loop needs of tools/prompts


class ToolOutcome(Protocol):
    @property
    def server(self) -> str | None: ...  # None: the LLM named a tool it was not offered
    @property
    def tool(self) -> str: ...
    @property
    def ok(self) -> bool: ...
    @property
    def text(self) -> str: ...


class LoadedTools(Protocol):
    definitions: list[dict[str, Any]]

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome: ...


class Tools(Protocol):
    async def load(self) -> LoadedTools: ...


class RenderedInstructions(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def request_defaults(self) -> dict[str, Any]: ...


class Instructions(Protocol):
    async def render(self, variables: Mapping[str, PromptVariable]) -> RenderedInstructions: ...


# ------------------------------------------------------------------------------ the loop


class LLMAgent:
    """Base class of LLM agents; the subclass adds `@agent.defn()` and an `@agent.run`."""

    instructions: ClassVar[str | Instructions] = DEFAULT_INSTRUCTIONS
    tools: ClassVar[Tools | None] = None

    def __init__(self, step: StepRunner = agent.step) -> None:
        self.history: list[dict[str, Any]] = []  # the conversation after the instructions
        self.system = ""  # the instructions' text, once rendered
        self.prompt: str | None = None  # name@version of a prompt from the registry
        self.request_defaults: dict[str, Any] = {}
        self.loaded_tools: LoadedTools | None = None
        self.max_steps = LLMAgentInput.model_fields["max_steps"].default
        self.tokens: dict[str, int] = {}
        self.cost_usd = 0.0  # of every reply so far: durable, so the run's budget holds
        self.tool_calls: list[ToolCallRecord] = []
        self.last: LLMAgentOutput | None = None
        self.ended = False
        self._step = step
        self._ready = False
        self._events = 0
        # One request at a time: a `message` waits for the answer in progress.
        self._turn = asyncio.Lock()

    @agent.event
    async def message(self, event: MessageEvent) -> str:
        self._events += 1
        # An event can arrive with the start request, before `run` has read the input.
        await condition(lambda: self._ready)
        async with self._turn:
            return (await self.answer(event.text)).answer

    @agent.event
    async def end(self, event: EndEvent) -> str:
        self.ended = True
        return event.reason

    async def serve(self, agent_input: LLMAgentInput) -> LLMAgentOutput:
        """What `run` does: prepare, answer the topic, then `message` events until `end`
        or `idle_seconds` of silence. Returns the outcome of the last request."""
        async with self._turn:
            await self.prepare(agent_input)
            first = await self.answer(agent_input.topic)
        while agent_input.idle_seconds and not self.ended:
            if not await self._next_event(agent_input.idle_seconds):
                break  # idle for too long: finish with what we have
        await condition(all_events_finished)
        return self.last or first

    async def prepare(self, agent_input: LLMAgentInput) -> None:
        """Render the instructions and list the tools: once per run, side by side."""
        self.max_steps = agent_input.max_steps
        await asyncio.gather(self._render_instructions(agent_input), self._load_tools())
        self._ready = True

    async def answer(self, text: str) -> LLMAgentOutput:
        """One request: LLM turns until an answer (running the tools it asks for) or
        `max_steps`."""
        self.history.append({"role": "user", "content": text})
        steps = 0
        while True:
            steps += 1
            reply = await self.chat(self.chat_request())
            for key, count in reply.usage.items():
                self.tokens[key] = self.tokens.get(key, 0) + count
            self.cost_usd += reply.cost_usd
            if not reply.tool_calls:
                return self._finish(reply, steps, "answer")
            await self._run_tools(reply)
            if steps >= self.max_steps:
                return self._finish(reply, steps, "max_steps")

    # ------------------------------------------------------------ customisation points

    def prompt_variables(self, agent_input: LLMAgentInput) -> dict[str, PromptVariable]:
        """What fills the prompt's placeholders: every text or number field of the input."""
        return {
            name: value
            for name, value in agent_input.model_dump().items()
            if isinstance(value, str | int | float) and not isinstance(value, bool)
        }

    def conversation(self) -> list[dict[str, Any]]:
        """The messages of the next LLM turn: the instructions, then the history."""
        system = [{"role": "system", "content": self.system}] if self.system else []
        return [*system, *self.history]

    def chat_request(self) -> LLMChatInput:
        """The next LLM request; override to choose a model, temperature or tool_choice."""
        return LLMChatInput(
            messages=self.conversation(),
            tools=self.loaded_tools.definitions if self.loaded_tools else [],
            defaults=self.request_defaults,
        )

    def shape_result(self, reply: LLMChatOutput, steps: int, stopped: Stopped) -> LLMAgentOutput:
        """The outcome of one request, from the LLM's last reply."""
        answer = reply.content
        if stopped == "max_steps" and not answer:
            answer = f"Stopped after {steps} steps without a final answer."
        return LLMAgentOutput(
            answer=answer,
            model=reply.model,
            provider=reply.provider,
            tokens=dict(self.tokens),
            prompt=self.prompt,
            tool_calls=list(self.tool_calls),
            steps=steps,
            stopped=stopped,
            cost_usd=self.cost_usd,
        )

    # ----------------------------------------------------------------------- the steps

    async def chat(self, request: LLMChatInput) -> LLMChatOutput:
        # Set here rather than in chat_request, which subclasses override.
        request = request.model_copy(update={"run_cost_usd": self.cost_usd})
        reply: LLMChatOutput = await self._step(
            function=llm_chat,
            function_input=request,
            retry_policy=LLM_CHAT_RETRY,
            schedule_to_close_timeout=LLM_CHAT_TIMEOUT,
            **LLM_CHAT_STEP_TIMEOUTS,
        )
        return reply

    async def _render_instructions(self, agent_input: LLMAgentInput) -> None:
        instructions = self.instructions
        if isinstance(instructions, str):
            self.system = instructions
            return
        rendered = await instructions.render(self.prompt_variables(agent_input))
        self.system = rendered.text
        self.prompt = f"{rendered.name}@{rendered.version}"
        self.request_defaults = dict(rendered.request_defaults)

    async def _load_tools(self) -> None:
        if self.tools is not None:
            self.loaded_tools = await self.tools.load()

    async def _run_tools(self, reply: LLMChatOutput) -> None:
        """Every tool call of one reply, each its own step, all at once; then their results."""
        self.history.append(
            {
                "role": "assistant",
                "content": reply.content or None,
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": json.dumps(call.arguments)},
                    }
                    for call in reply.tool_calls
                ],
            }
        )
        outcomes = await asyncio.gather(*(self._call_tool(call) for call in reply.tool_calls))
        for call, outcome in zip(reply.tool_calls, outcomes, strict=True):
            self.history.append({"role": "tool", "tool_call_id": call.id, "content": outcome.text})
            if outcome.server is not None:
                self.tool_calls.append(
                    ToolCallRecord(
                        server=outcome.server,
                        tool=outcome.tool,
                        arguments=call.arguments,
                        ok=outcome.ok,
                        result=outcome.text,
                    )
                )

    async def _call_tool(self, call: ToolCall) -> ToolOutcome:
        if self.loaded_tools is None:
            return _NoSuchTool(call.name)
        return await self.loaded_tools.call(call.name, call.arguments)

    def _finish(self, reply: LLMChatOutput, steps: int, stopped: Stopped) -> LLMAgentOutput:
        self.last = self.shape_result(reply, steps, stopped)
        self.history.append({"role": "assistant", "content": self.last.answer})
        return self.last

    async def _next_event(self, idle_seconds: int) -> bool:
        """Wait for a `message` or `end`; False when none came within `idle_seconds`."""
        seen = self._events
        try:
            await condition(
                lambda: self.ended or self._events != seen,
                timeout=timedelta(seconds=idle_seconds),
            )
        except TimeoutError:
            return False
        return True


class _NoSuchTool:
    """The outcome of a tool call when the agent has no tools at all."""

    def __init__(self, name: str) -> None:
        self.server: str | None = None
        self.tool = name
        self.ok = False
        self.text = f"Unknown tool {name!r}; this agent has no tools."
