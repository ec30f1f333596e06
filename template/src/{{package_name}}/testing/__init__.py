# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Test helpers: run this project's service against an engine.

`testing.steps` runs steps without an engine; `testing.metrics` reads what a service exports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..common.metrics import METRICS_ADDRESS_ENV
from ..common.settings import EngineSettings, project_root

_PACKAGE = __name__.split(".")[0]


def local_settings(address: str) -> EngineSettings:
    """Settings for an engine this process started (no API key, default engine id)."""
    return EngineSettings(address=address, engine_id="local", api_key=None, api_address=None)


@dataclass(frozen=True)
class RunningService:
    """A service process started by `start_service_process` in this project."""

    settings: EngineSettings
    process: subprocess.Popen[bytes]
    log_file: Path

    def metrics_url(self) -> str:
        # Imported here: reading /metrics needs prometheus_client's parser.
        from .metrics import metrics_url

        return metrics_url(self.process.pid, project_root())


def wait_until_logged(
    log_file: Path,
    event: str,
    process: subprocess.Popen[bytes],
    timeout_seconds: float = 90,
) -> str:
    """The service's log once `process` has logged `event` (e.g. "service_ready").

    The engine lists a stopped worker's pollers for minutes, so asking it whether a
    service polls a queue can answer for an earlier one; this waits for the word of the
    service a test started. Fails at once, with the log, if the service exits.
    """
    deadline = time.monotonic() + timeout_seconds
    while True:
        log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else ""
        if f'"{event}"' in log:
            return log
        if process.poll() is not None:
            raise AssertionError(f"the service exited with {process.returncode}:\n{log}")
        if time.monotonic() >= deadline:
            raise AssertionError(f"the service did not log {event} in {timeout_seconds:.0f}s")
        time.sleep(0.1)


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
