# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Run a step's function in the test process, where an agent would ask the engine."""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError, RetryState


async def inline_step(*, function: Any, function_input: Any = None, **options: Any) -> Any:
    """Run a step's function in this process, as a stand-in for `agent.step`.

    Agent-side helpers (`ToolBox`, `Prompt`, the LLM agent loop) take a step runner, so they
    can be tested without an engine. As on the engine, the step must carry a bounded retry
    policy, and a function's failure reaches the caller as the ActivityError agents see.
    """
    policy = options.get("retry_policy")
    if policy is None or not policy.maximum_attempts:
        raise AssertionError(f"{function.__name__} was called without a bounded retry policy")
    try:
        return await (function(function_input) if function_input is not None else function())
    except ApplicationError as error:
        raise ActivityError(
            "Activity task failed",
            scheduled_event_id=1,
            started_event_id=2,
            identity="inline",
            activity_type=function.__name__,
            activity_id="1",
            retry_state=RetryState.NON_RETRYABLE_FAILURE,
        ) from error
