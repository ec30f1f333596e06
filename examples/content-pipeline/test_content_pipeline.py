"""ContentPipeline end to end on the embedded engine, with the offline mock LLM provider."""

from __future__ import annotations

import pytest

from content_pipeline.client import run
from content_pipeline.common.settings import EngineSettings

pytestmark = pytest.mark.e2e


async def test_content_pipeline_runs_every_step_with_the_prompt_versions_asked_for(
    service: EngineSettings,
) -> None:
    text = "Durable   agents survive crashes and restarts."
    result = await run(
        "workflow", "ContentPipeline", {"text": text, "audience": "engineers"}, settings=service
    )

    assert result["words"] == 6
    # `outline` ^1.1 resolves to the new 1.1.0, not 1.0.0; `summarize` 1 to the shipped 1.0.0.
    assert result["prompts"] == ["outline@1.1.0", "summarize@1.0.0"]
    # The mock answers from the user message: the outline from the tidied text, the
    # summary from the outline.
    assert "durable agents survive crashes and restarts." in result["outline"]
    assert result["summary"]
    assert result["total_tokens"] > 0
