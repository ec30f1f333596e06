# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""Compose a greeting or a reply. Pure text work, so the sample runs with no network."""

from __future__ import annotations

from pydantic import BaseModel, Field
from restack_ai.function import function

from ..common.observability import function_logger


class ComposeGreetingInput(BaseModel):
    name: str = Field(min_length=1, description="Who to greet")
    message: str | None = Field(default=None, description="A message to answer, if any")


class ComposeGreetingOutput(BaseModel):
    text: str


@function.defn()
async def compose_greeting(function_input: ComposeGreetingInput) -> ComposeGreetingOutput:
    log = function_logger(name=function_input.name)
    if function_input.message is None:
        text = f"Hello, {function_input.name}! Your Restack agent is up and running."
    else:
        message = function_input.message
        count = len(message.split())
        text = f"{function_input.name}, I received your message ({count} words): {message}"
    log.info("greeting_composed", chars=len(text))
    return ComposeGreetingOutput(text=text)
