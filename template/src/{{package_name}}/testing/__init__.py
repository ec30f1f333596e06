# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Test helpers: run this project's service against an engine, and read what it exports."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from temporalio.exceptions import ActivityError, ApplicationError, RetryState

from ..common.metrics import METRICS_ADDRESS_ENV, running_endpoints
from ..common.settings import EngineSettings, project_root

_PACKAGE = __name__.split(".")[0]


def local_settings(address: str) -> EngineSettings:
    """Settings for an engine this process started (no API key, default engine id)."""
    return EngineSettings(address=address, engine_id="local", api_key=None, api_address=None)


def start_service_process(
    address: str,
    log_file: Path,
    extra_env: dict[str, str] | None = None,
    *,
    command: Sequence[str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start the service module (or `command`) against `address`, logging JSON
    to `log_file`. Its /metrics goes on a free port: see `metrics_url`.

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
        METRICS_ADDRESS_ENV: "127.0.0.1:0",
        **(extra_env or {}),
    }
    with log_file.open("ab") as log:
        return subprocess.Popen(
            list(command or [sys.executable, "-m", f"{_PACKAGE}.service"]),
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


@dataclass(frozen=True)
class RunningService:
    """A service process started by `start_service_process` in this project."""

    settings: EngineSettings
    process: subprocess.Popen[bytes]
    log_file: Path

    def metrics_url(self) -> str:
        return metrics_url(self.process.pid, project_root())


def metrics_url(pid: int, project: Path, timeout_seconds: float = 60) -> str:
    """The /metrics URL of the service process `pid` running in `project`."""
    directory = project / ".restack" / "metrics"
    deadline = time.monotonic() + timeout_seconds
    while True:
        for endpoint in running_endpoints(directory):
            if endpoint.pid == pid:
                return endpoint.url
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} listed no /metrics endpoint in {directory}")
        time.sleep(0.1)


@dataclass
class MetricsSnapshot:
    """Samples scraped from a /metrics endpoint, by sample name."""

    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float:
        """The sum of `name` over every series whose labels include `labels` (0 if none)."""
        return sum(
            value
            for series, value in self.samples.get(name, [])
            if all(series.get(key) == wanted for key, wanted in labels.items())
        )

    def series(self, name: str) -> list[dict[str, str]]:
        return [series for series, _ in self.samples.get(name, [])]


def scrape_metrics(url: str) -> MetricsSnapshot:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode("utf-8")
    snapshot = MetricsSnapshot()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            snapshot.samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return snapshot
