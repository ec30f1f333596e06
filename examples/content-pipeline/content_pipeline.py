"""ContentPipeline: durable steps, two of them LLM calls with versioned prompts.

1. `content_pipeline_step` tidies the text and counts its words (no LLM).
2. The prompt `outline`, 1.1 or a later 1.x, rendered (`render_prompt`), then `llm_chat`
   with it: an outline of the text.
3. The prompt `summarize`, any 1.x, rendered, then `llm_chat`: a summary of the outline.

Every step is recorded in the workflow's history: a worker that crashes after the
outline resumes with the summary, without calling the LLM for the outline again, and
with the prompt versions it had resolved. The output names those exact versions.

    restack run:workflow ContentPipeline '{"text": "...", "audience": "engineers"}'
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from restack_ai.workflow import import_functions, workflow

with import_functions():
    from ..common.policies import (
        LLM_CHAT_RETRY,
        LLM_CHAT_STEP_TIMEOUTS,
        LLM_CHAT_TIMEOUT,
        QUICK_RETRY,
        QUICK_TIMEOUT,
    )
    from ..functions.content_pipeline_step import (
        ContentPipelineStepInput,
        content_pipeline_step,
    )
    from ..llm.functions import LLMChatInput, LLMChatOutput, llm_chat
    from ..prompts.reference import Prompt


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
        outline_prompt, outline = await self._ask(
            Prompt("outline", version="^1.1", step=workflow.step),
            {"topic": tidy.normalized},
            tidy.normalized,
        )
        summary_prompt, summary = await self._ask(
            Prompt("summarize", version="1", step=workflow.step),
            {"text": outline.content, "audience": workflow_input.audience},
            outline.content,
        )
        return ContentPipelineOutput(
            words=tidy.words,
            outline=outline.content,
            summary=summary.content,
            prompts=[outline_prompt, summary_prompt],
            total_tokens=sum(reply.usage.get("total_tokens", 0) for reply in (outline, summary)),
        )

    async def _ask(
        self, prompt: Prompt, variables: dict[str, str], text: str
    ) -> tuple[str, LLMChatOutput]:
        """The prompt rendered (a step that pins its version), then one LLM call as a step;
        returns the prompt's name@version and the reply."""
        rendered = await prompt.render(variables)
        reply: LLMChatOutput = await workflow.step(
            function=llm_chat,
            function_input=LLMChatInput(
                messages=[
                    {"role": "system", "content": rendered.text},
                    {"role": "user", "content": text},
                ],
                defaults=rendered.request_defaults,
            ),
            retry_policy=LLM_CHAT_RETRY,
            schedule_to_close_timeout=LLM_CHAT_TIMEOUT,
            **LLM_CHAT_STEP_TIMEOUTS,
        )
        return f"{rendered.name}@{rendered.version}", reply
