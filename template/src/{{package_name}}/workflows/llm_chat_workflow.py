# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""Ask the configured LLM one question as a durable step (`restack run:workflow LlmChatWorkflow`).

    restack run:workflow LlmChatWorkflow '{"prompt": "Name three durable execution engines"}'

A new project answers from the offline mock provider; enable a real provider in
config/llm_router.yaml to get real answers. The call happens in the `llm_chat` function,
so the answer is recorded in the workflow's history.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from restack_ai.workflow import import_functions, workflow

with import_functions():
    from ..common.policies import LLM_CHAT_RETRY, LLM_CHAT_STEP_TIMEOUTS, LLM_CHAT_TIMEOUT
    from ..llm.functions import LLMChatInput, llm_chat


class LlmChatWorkflowInput(BaseModel):
    prompt: str = Field(min_length=1, description="The question to ask")
    system: str | None = Field(default=None, description="An optional system prompt")
    model: str | None = Field(default=None, description="A provider name or model override")


class LlmChatWorkflowOutput(BaseModel):
    answer: str
    provider: str
    model: str
    total_tokens: int
    cost_usd: float


@workflow.defn()
class LlmChatWorkflow:
    @workflow.run
    async def run(self, workflow_input: LlmChatWorkflowInput) -> LlmChatWorkflowOutput:
        messages = [{"role": "user", "content": workflow_input.prompt}]
        if workflow_input.system:
            messages.insert(0, {"role": "system", "content": workflow_input.system})
        reply = await workflow.step(
            function=llm_chat,
            function_input=LLMChatInput(messages=messages, model=workflow_input.model),
            retry_policy=LLM_CHAT_RETRY,
            schedule_to_close_timeout=LLM_CHAT_TIMEOUT,
            **LLM_CHAT_STEP_TIMEOUTS,
        )
        return LlmChatWorkflowOutput(
            answer=reply.content,
            provider=reply.provider,
            model=reply.model,
            total_tokens=reply.usage.get("total_tokens", 0),
            cost_usd=reply.cost_usd,
        )
