# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Settings from the environment, and the project's `.env` file read into it.

`load_env()` is the one place `.env` is read: the `restack` command calls it before any
command runs, and `load_engine_settings()` (which the service and the client read first)
calls it too, so keys for the LLM router and tool servers are there before anyone looks.
Variables already set in the real environment win over `.env`.

With no `RESTACK_ENGINE_ADDRESS` the project talks to the embedded engine that
`restack dev` starts on localhost:7233.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from dotenv import load_dotenv

DEFAULT_ENGINE_ADDRESS = "localhost:7233"
DEFAULT_ENGINE_ID = "local"
TASK_QUEUE = "restack"


def project_root() -> Path:
    """The directory holding pyproject.toml: config/, prompts/ and .copier/ live there."""
    start = Path.cwd()
    for candidate in (start, *start.parents):
        if (candidate / "pyproject.toml").is_file() and (candidate / "src").is_dir():
            return candidate
    return start


@cache
def load_env() -> None:
    """Read the project's `.env` into the environment, once per process."""
    load_dotenv(project_root() / ".env", override=False)


@dataclass(frozen=True)
class EngineSettings:
    address: str
    engine_id: str
    api_key: str | None
    api_address: str | None

    @property
    def is_remote(self) -> bool:
        """True when the user pointed the project at an engine of their own."""
        return bool(os.environ.get("RESTACK_ENGINE_ADDRESS"))

    @property
    def host_port(self) -> tuple[str, int]:
        host, _, port = self.address.rpartition(":")
        return (host or "localhost", int(port or 7233))

    @property
    def task_queue(self) -> str:
        """The task queue name as the engine sees it (Restack prefixes the engine id)."""
        return f"{self.engine_id}-{TASK_QUEUE}"


def load_engine_settings() -> EngineSettings:
    load_env()
    return EngineSettings(
        address=os.environ.get("RESTACK_ENGINE_ADDRESS") or DEFAULT_ENGINE_ADDRESS,
        engine_id=os.environ.get("RESTACK_ENGINE_ID") or DEFAULT_ENGINE_ID,
        api_key=os.environ.get("RESTACK_ENGINE_API_KEY") or None,
        api_address=os.environ.get("RESTACK_ENGINE_API_ADDRESS") or None,
    )
