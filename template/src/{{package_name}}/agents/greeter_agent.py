# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""The sample agent: greets on start, answers `message` events, stops on `end` or when idle.

Agents are deterministic: all I/O happens in functions, called with `agent.step`, so a
worker crash never repeats a step that already finished.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import timedelta

from pydantic import BaseModel, Field
from restack_ai.agent import agent, all_events_finished, condition, import_functions

with import_functions():
    from ..common.policies import QUICK_RETRY, QUICK_TIMEOUT
    from ..functions.compose_greeting import (
        ComposeGreetingInput,
        ComposeGreetingOutput,
        compose_greeting,
    )


class GreeterInput(BaseModel):
    name: str = Field(min_length=1, description="Who to greet")
    listen_seconds: int = Field(
        default=0,
        ge=0,
        le=86_400,
        description="How long to keep answering `message` events before returning",
    )


class GreeterOutput(BaseModel):
    greeting: str
    replies: list[str]


class MessageEvent(BaseModel):
    text: str = Field(min_length=1)


class EndEvent(BaseModel):
    reason: str = "done"


@agent.defn()
class GreeterAgent:
    def __init__(self) -> None:
        self.name = ""
        self.replies: list[str] = []
        self.ended = False

    @agent.event
    async def message(self, event: MessageEvent) -> str:
        # An event can arrive with the start request, before `run` has read the input.
        await condition(lambda: bool(self.name))
        reply = await self._compose(ComposeGreetingInput(name=self.name, message=event.text))
        self.replies.append(reply.text)
        return reply.text

    @agent.event
    async def end(self, event: EndEvent) -> str:
        self.ended = True
        return event.reason

    @agent.run
    async def run(self, agent_input: GreeterInput) -> GreeterOutput:
        self.name = agent_input.name
        greeting = await self._compose(ComposeGreetingInput(name=agent_input.name))
        if agent_input.listen_seconds:
            # When the listening window closes, answer with what we have.
            with suppress(TimeoutError):
                await condition(
                    lambda: self.ended, timeout=timedelta(seconds=agent_input.listen_seconds)
                )
        await condition(all_events_finished)
        return GreeterOutput(greeting=greeting.text, replies=list(self.replies))

    async def _compose(self, function_input: ComposeGreetingInput) -> ComposeGreetingOutput:
        result: ComposeGreetingOutput = await agent.step(
            function=compose_greeting,
            function_input=function_input,
            retry_policy=QUICK_RETRY,
            schedule_to_close_timeout=QUICK_TIMEOUT,
        )
        return result
