"""ContentPipeline: three durable steps, two of them LLM calls with versioned prompts.

1. `content_pipeline_step` tidies the text and counts its words (no LLM).
2. `llm_chat` with the prompt `outline`, 1.1 or a later 1.x: an outline of the text.
3. `llm_chat` with the prompt `summarize`, any 1.x: a summary of the outline.

Every step is recorded in the workflow's history: a worker that crashes after step 2
resumes at step 3 without calling the LLM for the outline again. The output names the
exact prompt versions used.

    restack run:workflow ContentPipeline '{"text": "...", "audience": "engineers"}'
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from restack_ai.workflow import import_functions, workflow

with import_functions():
    from ..common.policies import QUICK_RETRY, QUICK_TIMEOUT
    from ..functions.content_pipeline_step import (
        ContentPipelineStepInput,
        content_pipeline_step,
    )
    from ..llm.functions import (
        LLM_CHAT_RETRY,
        LLM_CHAT_TIMEOUT,
        LLMChatInput,
        LLMChatOutput,
        PromptReference,
        llm_chat,
    )


class ContentPipelineInput(BaseModel):
    text: str = Field(min_length=1, description="The text to work on")
    audience: str = Field(default="a busy executive", description="Who reads the summary")


class ContentPipelineOutput(BaseModel):
    words: int
    outline: str
    summary: str
    prompts: list[str] = Field(description="name@version of each prompt used, in order")
    total_tokens: int


@workflow.defn()
class ContentPipeline:
    @workflow.run
    async def run(self, workflow_input: ContentPipelineInput) -> ContentPipelineOutput:
        tidy = await workflow.step(
            function=content_pipeline_step,
            function_input=ContentPipelineStepInput(item=workflow_input.text),
            retry_policy=QUICK_RETRY,
            schedule_to_close_timeout=QUICK_TIMEOUT,
        )
        outline = await self._ask(
            PromptReference(name="outline", version="^1.1", variables={"topic": tidy.normalized}),
            tidy.normalized,
        )
        summary = await self._ask(
            PromptReference(
                name="summarize",
                version="1",
                variables={"text": outline.content, "audience": workflow_input.audience},
            ),
            outline.content,
        )
        return ContentPipelineOutput(
            words=tidy.words,
            outline=outline.content,
            summary=summary.content,
            prompts=[reply.prompt or "" for reply in (outline, summary)],
            total_tokens=sum(reply.usage.get("total_tokens", 0) for reply in (outline, summary)),
        )

    async def _ask(self, prompt: PromptReference, text: str) -> LLMChatOutput:
        """One LLM call as a durable step; the prompt is rendered inside `llm_chat`."""
        reply: LLMChatOutput = await workflow.step(
            function=llm_chat,
            function_input=LLMChatInput(
                messages=[{"role": "user", "content": text}], prompt=prompt
            ),
            retry_policy=LLM_CHAT_RETRY,
            schedule_to_close_timeout=LLM_CHAT_TIMEOUT,
        )
        return reply
