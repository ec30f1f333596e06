# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""A prompt an agent uses, agent-side: rendered by the `render_prompt` step.

    instructions = Prompt("summarize", version="^1.0")
    rendered = await instructions.render({"text": text, "audience": "engineers"})
    rendered.text, rendered.version, rendered.request_defaults

This module runs inside agents (deterministic, no I/O of its own). An LLM agent renders
its prompt once, when a run starts: the step pins the version it resolved in the agent's
history, so a run keeps that version to the end (and on replay) even if `latest` moves.
"""

from __future__ import annotations

from collections.abc import Mapping

from restack_ai.agent import agent, import_functions

with import_functions():
    from ..common.policies import RENDER_PROMPT_RETRY, RENDER_PROMPT_TIMEOUT, StepRunner
    from .format import PromptValue
    from .functions import RenderPromptInput, RenderPromptOutput, render_prompt


class Prompt:
    """A prompt from config/prompts.yaml; `version` is a version or range, None: `latest`."""

    def __init__(
        self, name: str, version: str | None = None, *, step: StepRunner = agent.step
    ) -> None:
        self.name = name
        self.version = version
        self._step = step

    def __repr__(self) -> str:
        return f"Prompt({self.name!r}, version={self.version!r})"

    async def render(self, variables: Mapping[str, PromptValue]) -> RenderPromptOutput:
        rendered: RenderPromptOutput = await self._step(
            function=render_prompt,
            function_input=RenderPromptInput(
                name=self.name, version=self.version, variables=dict(variables)
            ),
            retry_policy=RENDER_PROMPT_RETRY,
            schedule_to_close_timeout=RENDER_PROMPT_TIMEOUT,
        )
        return rendered
