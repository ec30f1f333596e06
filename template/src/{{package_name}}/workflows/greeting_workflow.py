# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""A workflow that greets several people, one function step per name, in parallel."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field
from restack_ai.workflow import import_functions, workflow

with import_functions():
    from ..common.policies import QUICK_RETRY, QUICK_TIMEOUT
    from ..functions.compose_greeting import ComposeGreetingInput, compose_greeting


class GreetingWorkflowInput(BaseModel):
    names: list[str] = Field(min_length=1, description="People to greet")


class GreetingWorkflowOutput(BaseModel):
    greetings: list[str]


@workflow.defn()
class GreetingWorkflow:
    @workflow.run
    async def run(self, workflow_input: GreetingWorkflowInput) -> GreetingWorkflowOutput:
        results = await asyncio.gather(
            *(
                workflow.step(
                    function=compose_greeting,
                    function_input=ComposeGreetingInput(name=name),
                    retry_policy=QUICK_RETRY,
                    schedule_to_close_timeout=QUICK_TIMEOUT,
                )
                for name in workflow_input.names
            )
        )
        return GreetingWorkflowOutput(greetings=[result.text for result in results])
