"""Test helpers: run this project's service against an engine, and fake servers to test with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from ..common.settings import EngineSettings

_PACKAGE = __name__.split(".")[0]


def local_settings(address: str) -> EngineSettings:
    """Settings for an engine this process started (no API key, default engine id)."""
    return EngineSettings(address=address, engine_id="local", api_key=None, api_address=None)


def start_service_process(
    address: str,
    log_file: Path,
    extra_env: dict[str, str] | None = None,
    *,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `python -m <package>.service` against `address`, logging JSON to `log_file`.

    `cwd` is the project root it runs in (config/ is read there); default: this one.
    """
    # The child must import this package even when it is not installed (pytest's pythonpath).
    source_root = str(Path(__file__).resolve().parents[2])
    python_path = os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")]))
    env = {
        **os.environ,
        "PYTHONPATH": python_path,
        "RESTACK_ENGINE_ADDRESS": address,
        "RESTACK_LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    with log_file.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", f"{_PACKAGE}.service"],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


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
