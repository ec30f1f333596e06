"""Test helpers: run this project's service against an engine, and fake servers to test with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
