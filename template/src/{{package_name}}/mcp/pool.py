# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Shared MCP sessions: one open session per server per event loop.

A cold stdio session costs about a second (the child imports FastMCP), a call on an
open one a few milliseconds, and one session serves concurrent calls; so every
`FastMCPClient` of a server in one process shares one session from here. Sessions belong
to the event loop that opened them, hence one pool per loop.

stdio servers are started through `launcher.py`, which ends them with the service even
when it is killed, and records how each one ended: a server that died on its own is
logged with its exit code when its session is noticed broken and again when it is
started anew.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import structlog
from fastmcp import Client
from fastmcp.client.transports import SSETransport, StdioTransport, StreamableHttpTransport
from mcp.types import Tool
from opentelemetry import context as otel_context

from .config import ServerConfig, ToolsConfig, load_tools_config
from .errors import ToolsConfigError
from .launcher import guarded_command

log = structlog.get_logger(__name__)


class ToolSession:
    """One open MCP session to one server, reopened when it breaks."""

    def __init__(self, server: ServerConfig) -> None:
        self.server = server
        self.client: Client[Any] | None = None
        self.tools: list[Tool] | None = None
        self.exit_code: int | None = None
        """How the last stdio server process ended on its own (None: it did not)."""
        self._status_file: Path | None = None
        self._lock = asyncio.Lock()

    def _transport(self) -> Any:
        server = self.server
        if server.transport == "sse":
            return SSETransport(str(server.url))
        if server.transport != "stdio":
            return StreamableHttpTransport(str(server.url))
        command = server.launch_command()
        env = server.child_env()
        if shutil.which(command[0], path=env.get("PATH")) is None:
            raise ToolsConfigError(
                f"Server '{server.name}' runs `{command[0]}`, which is not installed or "
                "not on PATH.",
                fix="Install it, or give its full path as `command` in config/tools.yaml.",
            )
        descriptor, status = tempfile.mkstemp(prefix=f"restack-{server.name}-", suffix=".exit")
        os.close(descriptor)
        self._status_file = Path(status)
        launch = guarded_command(command, self._status_file)
        return StdioTransport(
            command=launch[0],
            args=launch[1:],
            env=env,
            cwd=server.working_dir(),
            keep_alive=True,
        )

    def _take_status(self) -> int | None:
        """How the stdio server ended, if it has (its launcher writes the exit code
        before the server's pipes close); forgets the status file either way."""
        status_file, self._status_file = self._status_file, None
        if status_file is None:
            return None
        try:
            return int(status_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # still running, or stopped with no record
            return None
        finally:
            status_file.unlink(missing_ok=True)

    def _record_exit(self, code: int | None) -> None:
        if code is not None:
            self.exit_code = code
            log.warning("tool_server_exited", server=self.server.name, exit_code=code)

    async def open(self) -> Client[Any]:
        async with self._lock:
            if self.client is not None:
                return self.client
            client: Client[Any] = Client(
                self._transport(),
                timeout=self.server.timeout,
                init_timeout=self.server.startup_timeout,
            )
            entering = asyncio.create_task(
                client.__aenter__(),  # type: ignore[no-untyped-call]
                context=_session_context(),
            )
            try:
                await asyncio.wait_for(entering, self.server.startup_timeout + 5)
            except BaseException:
                with contextlib.suppress(Exception):
                    await client.close()  # type: ignore[no-untyped-call]
                self._record_exit(self._take_status())  # e.g. it failed on an import
                raise
            if self.exit_code is not None:
                log.warning(
                    "tool_server_respawned", server=self.server.name, exit_code=self.exit_code
                )
                self.exit_code = None
            self.client = client
            return client

    async def close(self) -> None:
        async with self._lock:
            client, self.client, self.tools = self.client, None, None
            # Read before closing: closing ends the server too, and that is no crash.
            ended = self._take_status()
            if client is not None:
                # close() ends the stdio child too (the transport keeps it alive otherwise).
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.close(), 10)  # type: ignore[no-untyped-call]
        self._record_exit(ended)


def _session_context() -> contextvars.Context:
    """The context a session's background tasks start with: the opening call's trace (the
    session's setup spans belong to that call) and nothing else. They outlive the call, and
    with its context they would stamp its run and activity ids (temporalio's activity
    context, structlog's bound fields) on every line they log later."""
    fresh = contextvars.Context()
    fresh.run(otel_context.attach, otel_context.get_current())
    return fresh


class ToolClientPool:
    """The open sessions of one event loop, one per server."""

    def __init__(self, config: ToolsConfig | None = None) -> None:
        self._config = config
        self._sessions: dict[str, ToolSession] = {}

    @property
    def config(self) -> ToolsConfig:
        if self._config is None:
            self._config = load_tools_config()
        return self._config

    def session(self, name: str) -> ToolSession:
        if name not in self._sessions:
            self._sessions[name] = ToolSession(self.config.server(name))
        return self._sessions[name]

    async def close(self, name: str | None = None) -> None:
        """Close one server's session (its stdio child exits), or every session."""
        names = [name] if name else list(self._sessions)
        sessions = [self._sessions[n] for n in names if n in self._sessions]
        await asyncio.gather(*(session.close() for session in sessions))
        if name is None:
            self._sessions.clear()


_pools: dict[asyncio.AbstractEventLoop, ToolClientPool] = {}


def client_pool() -> ToolClientPool:
    """This event loop's pool (sessions belong to the loop that opened them)."""
    loop = asyncio.get_running_loop()
    for stale in [other for other in _pools if other.is_closed()]:
        del _pools[stale]
    if loop not in _pools:
        _pools[loop] = ToolClientPool()
    return _pools[loop]


def use_pool(pool: ToolClientPool) -> None:
    """Make `pool` the one every FastMCPClient in this event loop uses."""
    _pools[asyncio.get_running_loop()] = pool


def forget_pool(pool: ToolClientPool) -> None:
    """Stop handing out `pool` in this event loop (it is being closed)."""
    loop = asyncio.get_running_loop()
    if _pools.get(loop) is pool:
        del _pools[loop]


async def close_all_clients() -> None:
    """Close every session of this loop's pool (stdio children exit)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()
