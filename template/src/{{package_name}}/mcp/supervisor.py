# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`FastMCPServerManager`: the service's tool servers, started, watched and stopped.

It starts the servers in config/tools.yaml marked `autostart`, checks them periodically,
restarts one that died (with backoff, logging how it ended) and stops them all on
shutdown, leaving no child processes. Every server is started through `launcher.py`, so
none outlives a service that is killed outright.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog

from .client import FastMCPClient
from .config import ServerConfig, ToolsConfig, load_tools_config
from .errors import ToolCallError, ToolsConfigError
from .launcher import guarded_command
from .metrics import restarted, supervised
from .pool import ToolClientPool, forget_pool, use_pool

log = structlog.get_logger(__name__)


@dataclass
class _Supervised:
    server: ServerConfig
    process: subprocess.Popen[bytes] | None = None
    failures: int = 0
    next_attempt: float = 0.0
    healthy: bool = False
    exit_code: int | None = None
    """How the last http server process ended on its own (None: it did not)."""


class FastMCPServerManager:
    """Starts, watches and stops the servers in config/tools.yaml marked `autostart`."""

    def __init__(
        self,
        config: ToolsConfig | None = None,
        *,
        config_path: Path | None = None,
        max_backoff: float = 30.0,
    ) -> None:
        self.config = config or load_tools_config(config_path)
        self.pool = ToolClientPool(self.config)
        self.max_backoff = max_backoff
        self._supervised = {s.name: _Supervised(s) for s in self.config.servers if s.managed}
        supervised(self._supervised)
        self._watcher: asyncio.Task[None] | None = None

    @property
    def managed(self) -> list[str]:
        return list(self._supervised)

    def client(self, name: str) -> FastMCPClient:
        return FastMCPClient(name, self.pool)

    async def start_all(self) -> dict[str, bool]:
        """Start every autostart server; return which came up. A failure is logged and
        retried by the supervisor, so one broken server does not stop the service."""
        use_pool(self.pool)
        names = list(self._supervised)
        outcomes = await asyncio.gather(*(self.start_server(n) for n in names))
        if self._watcher is None:
            self._watcher = asyncio.create_task(self._watch())
        return dict(zip(names, outcomes, strict=True))

    async def start_server(self, name: str) -> bool:
        state = self._supervised[name]
        try:
            if state.server.transport != "stdio":
                await self._spawn_http(state)
            # For stdio the session owns the child: opening it starts the server.
            tools = await self.client(name).list_tools(refresh=True)
        except (ToolCallError, ToolsConfigError, OSError, TimeoutError) as error:
            state.healthy = False
            state.failures += 1
            delay = min(self.max_backoff, 2.0 ** (state.failures - 1))
            state.next_attempt = time.monotonic() + delay
            log.error("tool_server_failed", server=name, error=str(error), retry_in=delay)
            return False
        state.healthy, state.failures = True, 0
        log.info("tool_server_started", server=name, tools=[t.name for t in tools])
        return True

    async def _spawn_http(self, state: _Supervised) -> None:
        server = state.server
        await self._kill(state)
        if await self._http_alive(server):
            # Already served (another service, or started by hand): use it, do not own it.
            log.info("tool_server_already_running", server=server.name, url=server.url)
            return
        # Popen returns as soon as the child exists; readiness is awaited below.
        state.process = subprocess.Popen(  # noqa: ASYNC220
            guarded_command(server.launch_command()),
            env=server.child_env(),
            cwd=server.working_dir(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None,  # the server's errors belong in the service log
        )
        deadline = time.monotonic() + server.startup_timeout
        while not await self._http_alive(server):
            if state.process.poll() is not None:
                raise ToolsConfigError(
                    f"Server '{server.name}' exited with code {state.process.returncode} on start.",
                    fix=f"Run `{' '.join(server.launch_command())}` to see why.",
                )
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"server '{server.name}' did not answer {server.health_url()} within "
                    f"{server.startup_timeout:g}s"
                )
            await asyncio.sleep(0.1)

    @staticmethod
    async def _http_alive(server: ServerConfig) -> bool:
        url = server.health_url()
        if url is None:
            return False
        try:
            async with httpx.AsyncClient(timeout=server.health_check.timeout) as http:
                response = await http.get(url)
        except httpx.HTTPError:
            return False
        return response.status_code < 500

    async def health_check(self, name: str) -> bool:
        """True when the server answers: its /health route (http) or a tool listing."""
        server = self.config.server(name)
        state = self._supervised.get(name)
        if state is not None and state.process is not None and state.process.poll() is not None:
            return False
        if server.transport != "stdio" and server.health_url() and state is not None:
            return await self._http_alive(server)
        try:
            await asyncio.wait_for(
                self.client(name).list_tools(refresh=True), server.health_check.timeout
            )
        except (ToolCallError, TimeoutError):
            return False
        return True

    async def _watch(self) -> None:
        last_check: dict[str, float] = {}
        while True:
            await asyncio.sleep(0.5)
            for name, state in self._supervised.items():
                try:
                    await self._supervise(name, state, last_check)
                except Exception as error:  # the watcher must outlive any one server's trouble
                    log.exception("tool_server_supervision_failed", server=name, error=str(error))

    async def _supervise(self, name: str, state: _Supervised, last_check: dict[str, float]) -> None:
        now = time.monotonic()
        if not state.healthy:
            if now >= state.next_attempt:
                await self.restart_server(name)
            return
        if not state.server.health_check.enabled:
            return
        exited = state.process is not None and state.process.poll() is not None
        if not exited and now - last_check.get(name, 0.0) < state.server.health_check.interval:
            return
        last_check[name] = now
        if not exited and await self.health_check(name):
            return
        # Asked again: the process may have died while the health check waited on it.
        if state.process is not None and state.process.poll() is not None:
            state.exit_code = state.process.returncode
            log.warning("tool_server_exited", server=name, exit_code=state.exit_code)
        log.warning("tool_server_unhealthy", server=name)
        state.healthy = False
        state.next_attempt = now

    async def restart_server(self, name: str) -> bool:
        state = self._supervised[name]
        log.info(
            "tool_server_restarting",
            server=name,
            attempt=state.failures + 1,
            exit_code=state.exit_code,
        )
        restarted(name)
        state.exit_code = None
        await self.pool.close(name)
        await self._kill(state)
        return await self.start_server(name)

    def is_healthy(self, name: str) -> bool:
        return self._supervised[name].healthy

    def process_ids(self) -> dict[str, int]:
        """PIDs of the http server processes this manager runs (stdio children belong to
        their sessions)."""
        return {
            name: state.process.pid
            for name, state in self._supervised.items()
            if state.process is not None and state.process.poll() is None
        }

    @staticmethod
    async def _kill(state: _Supervised) -> None:
        process, state.process = state.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        for _ in range(50):
            if process.poll() is not None:
                return
            await asyncio.sleep(0.1)
        process.kill()
        await asyncio.to_thread(process.wait)

    async def stop_all(self) -> None:
        """Stop supervising, close every session and end every server process."""
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
            self._watcher = None
        await self.pool.close()
        await asyncio.gather(*(self._kill(state) for state in self._supervised.values()))
        forget_pool(self.pool)
        log.info("tool_servers_stopped", servers=self.managed)


def child_processes(pid: int | None = None) -> list[int]:
    """Live child PIDs of `pid` (default: this process), read from /proc on Linux."""
    parent = os.getpid() if pid is None else pid
    children: list[int] = []
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = entry.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent and fields[0] != "Z":
                children.append(int(entry.parent.name))
    return children
