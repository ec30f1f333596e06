# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Load a versioned prompt and fill it in: the step agents call instead of reading files.

An LLM agent renders its prompt through `Prompt` (prompts/reference.py), once per run;
other code calls the step with the policy of common/policies.py:

    rendered = await agent.step(
        function=render_prompt,
        function_input=RenderPromptInput(name="summarize", version="1", variables={...}),
        retry_policy=RENDER_PROMPT_RETRY,
        schedule_to_close_timeout=RENDER_PROMPT_TIMEOUT,
    )

The result records the exact version used, so the agent's history shows which prompt
produced each answer, and carries the frontmatter's model settings as request defaults.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from restack_ai.function import NonRetryableError, function

from ..common.observability import function_logger
from . import metrics  # noqa: F401  # the service lists prompt_renders_total from its start
from .errors import PromptError
from .format import PromptValue
from .loader import PromptLoader

# One loader per worker process, so its cache serves every call.
_loader: PromptLoader | None = None


def shared_loader() -> PromptLoader:
    global _loader
    if _loader is None:
        _loader = PromptLoader()
    return _loader


class RenderPromptInput(BaseModel):
    name: str = Field(min_length=1, description="Prompt name in config/prompts.yaml")
    version: str | None = Field(
        default=None, description="Requested version or range (None: the registry's latest)"
    )
    variables: dict[str, PromptValue] = Field(default_factory=dict)


class RenderPromptOutput(BaseModel):
    name: str
    version: str = Field(description="The registered version that was used")
    text: str
    request_defaults: dict[str, Any] = Field(
        default_factory=dict, description="model, temperature, max_tokens from the frontmatter"
    )

    def messages(self) -> list[dict[str, str]]:
        return [{"role": "user", "content": self.text}]


@function.defn()
async def render_prompt(function_input: RenderPromptInput) -> RenderPromptOutput:
    log = function_logger(prompt=function_input.name, requested=function_input.version)
    try:
        prompt = await shared_loader().load(function_input.name, function_input.version)
        text = prompt.format(**function_input.variables)
    except PromptError as error:
        # A wrong name, version or variable will not fix itself on a retry.
        raise NonRetryableError(message=str(error)) from error
    log.info("prompt_rendered", version=prompt.version, chars=len(text))
    return RenderPromptOutput(
        name=function_input.name,
        version=prompt.version,
        text=text,
        request_defaults=prompt.request_defaults(),
    )
