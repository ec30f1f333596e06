"""Tool servers at runtime: supervised server processes and pooled client sessions.

- `FastMCPClient(server_name)` calls tools on a server from config/tools.yaml. Every
  client for the same server in one process shares ONE open session: a cold stdio
  session costs about a second (the child imports FastMCP), a call on an open session a
  few milliseconds. One session serves concurrent calls.
- `FastMCPServerManager` starts the servers marked `autostart` with the service, checks
  them periodically, restarts one that died (with backoff) and stops them all on
  shutdown, leaving no child processes.

Failures reach callers as `ToolError(server, tool, message, retryable)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog
from fastmcp import Client
from fastmcp.client.transports import SSETransport, StdioTransport, StreamableHttpTransport
from mcp.shared.exceptions import MCPError
from mcp.types import Tool

from .config import ServerConfig, ToolsConfig, ToolsConfigError, load_tools_config
from .metrics import restarted, supervised

log = structlog.get_logger(__name__)

_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


class ToolError(Exception):
    """A tool call failed. `retryable` says whether trying again can help."""

    def __init__(self, server: str, tool: str, message: str, retryable: bool = True) -> None:
        self.server = server
        self.tool = tool
        self.retryable = retryable
        super().__init__(f"[{server}.{tool}] {message}")


@dataclass(frozen=True)
class ToolResult:
    server: str
    tool: str
    data: Any
    """The structured result (the tool's return value), or None for text-only tools."""
    text: str
    """The text content the server sent, joined."""


@dataclass(frozen=True)
class ToolCall:
    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


class _Session:
    """One open MCP session to one server, reconnected when it breaks."""

    def __init__(self, server: ServerConfig) -> None:
        self.server = server
        self.client: Client[Any] | None = None
        self.tools: list[Tool] | None = None
        self._lock = asyncio.Lock()

    def _transport(self) -> Any:
        server = self.server
        if server.transport == "stdio":
            command = server.launch_command()
            return StdioTransport(
                command=command[0],
                args=command[1:],
                env=server.child_env(),
                cwd=server.working_dir(),
                keep_alive=True,
            )
        if server.transport == "sse":
            return SSETransport(str(server.url))
        return StreamableHttpTransport(str(server.url))

    async def open(self) -> Client[Any]:
        async with self._lock:
            if self.client is not None:
                return self.client
            client: Client[Any] = Client(
                self._transport(),
                timeout=self.server.timeout,
                init_timeout=self.server.startup_timeout,
            )
            try:
                await asyncio.wait_for(
                    client.__aenter__(),  # type: ignore[no-untyped-call]
                    self.server.startup_timeout + 5,
                )
            except BaseException:
                with contextlib.suppress(Exception):
                    await client.close()  # type: ignore[no-untyped-call]
                raise
            self.client = client
            return client

    async def close(self) -> None:
        async with self._lock:
            client, self.client, self.tools = self.client, None, None
        if client is not None:
            # close() ends the stdio child too (the transport keeps it alive otherwise).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 10)  # type: ignore[no-untyped-call]


class ToolClientPool:
    """The open sessions of one event loop, one per server."""

    def __init__(self, config: ToolsConfig | None = None) -> None:
        self._config = config
        self._sessions: dict[str, _Session] = {}

    @property
    def config(self) -> ToolsConfig:
        if self._config is None:
            self._config = load_tools_config()
        return self._config

    def session(self, name: str) -> _Session:
        if name not in self._sessions:
            self._sessions[name] = _Session(self.config.server(name))
        return self._sessions[name]

    async def close(self, name: str | None = None) -> None:
        names = [name] if name else list(self._sessions)
        await asyncio.gather(*(self._sessions.pop(n).close() for n in names if n in self._sessions))


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


async def close_all_clients() -> None:
    """Close every session of this loop's pool (stdio children exit)."""
    pool = _pools.pop(asyncio.get_running_loop(), None)
    if pool is not None:
        await pool.close()


def _is_broken_connection(error: BaseException) -> bool:
    if isinstance(error, MCPError):
        return "closed" in str(error).lower() or "connect" in str(error).lower()
    return isinstance(error, (httpx.TransportError, ConnectionError, EOFError, RuntimeError))


def _text_of(result: Any) -> str:
    return "\n".join(str(getattr(part, "text", "")) for part in result.content or [])


class FastMCPClient:
    """Calls tools on one configured server through the process-wide session pool."""

    def __init__(self, server_name: str, pool: ToolClientPool | None = None) -> None:
        self.server_name = server_name
        self._pool = pool

    @property
    def pool(self) -> ToolClientPool:
        return self._pool or client_pool()

    def _session(self) -> _Session:
        try:
            return self.pool.session(self.server_name)
        except ToolsConfigError as error:
            raise ToolError(self.server_name, "*", str(error), retryable=False) from None

    async def _client(self, tool: str) -> Client[Any]:
        session = self._session()
        try:
            return await session.open()
        except ToolsConfigError as error:
            raise ToolError(self.server_name, tool, str(error), retryable=False) from None
        except Exception as error:
            raise ToolError(
                self.server_name,
                tool,
                f"cannot connect to the server ({type(error).__name__}: {error}). "
                f"Check it with `restack doctor --check-tools`.",
                retryable=True,
            ) from error

    async def list_tools(self, *, refresh: bool = False) -> list[Tool]:
        """The server's tools; cached for the life of the session."""
        session = self._session()
        if session.tools is not None and not refresh:
            return session.tools
        for attempt in (1, 2):
            client = await self._client("list_tools")
            try:
                session.tools = await client.list_tools()
                return session.tools
            except Exception as error:
                if not _is_broken_connection(error):
                    raise ToolError(self.server_name, "list_tools", str(error)) from error
                await session.close()
                if attempt == 2:
                    raise ToolError(
                        self.server_name, "list_tools", f"connection lost: {error}"
                    ) from error
        raise AssertionError("unreachable")

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - bounds the MCP request itself
    ) -> ToolResult:
        """Call one tool. A broken session is reopened once and the call sent again."""
        session = self._session()
        limit = timeout or session.server.timeout
        for attempt in (1, 2):
            client = await self._client(name)
            try:
                result = await client.call_tool(
                    name, arguments or {}, timeout=limit, raise_on_error=False
                )
            except MCPError as error:
                if "timed out" in str(error):
                    raise ToolError(
                        self.server_name, name, f"no answer within {limit:g}s", retryable=True
                    ) from error
                if not _is_broken_connection(error):
                    raise ToolError(self.server_name, name, str(error), retryable=False) from error
                broken: BaseException = error
            except Exception as error:
                if not _is_broken_connection(error):
                    raise ToolError(self.server_name, name, str(error), retryable=False) from error
                broken = error
            else:
                if result.is_error:
                    raise ToolError(self.server_name, name, _text_of(result), retryable=False)
                data = result.data if isinstance(result.data, _JSON_TYPES) else None
                if data is None and result.structured_content is not None:
                    data = result.structured_content
                return ToolResult(self.server_name, name, data, _text_of(result))
            log.warning(
                "tool_session_broken", server=self.server_name, tool=name, error=str(broken)
            )
            await session.close()
            if attempt == 2:
                raise ToolError(
                    self.server_name,
                    name,
                    f"the server closed the connection during the call ({broken}); "
                    "it is restarted on the next call",
                    retryable=True,
                ) from broken
        raise AssertionError("unreachable")

    async def call_tools_batch(self, calls: Sequence[ToolCall]) -> list[ToolResult | ToolError]:
        """Run calls concurrently on the one session; each slot holds a result or its error."""

        async def one(call: ToolCall) -> ToolResult | ToolError:
            try:
                return await self.call_tool(call.tool, call.arguments)
            except ToolError as error:
                return error

        return list(await asyncio.gather(*(one(call) for call in calls)))

    async def close(self) -> None:
        await self.pool.close(self.server_name)


# ------------------------------------------------------------------ server supervision


@dataclass
class _Supervised:
    server: ServerConfig
    process: subprocess.Popen[bytes] | None = None
    failures: int = 0
    next_attempt: float = 0.0
    healthy: bool = False


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, the child gets SIGTERM if we die first."""
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


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
        self._log_dir: Path | None = None

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
        except (ToolError, ToolsConfigError, OSError, TimeoutError) as error:
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
            server.launch_command(),
            env=server.child_env(),
            cwd=server.working_dir(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None,  # the server's errors belong in the service log
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + server.startup_timeout
        while not await self._http_alive(server):
            if state.process.poll() is not None:
                raise ToolsConfigError(
                    f"server '{server.name}' exited with code {state.process.returncode} "
                    f"on start; run `{' '.join(server.launch_command())}` to see why"
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
        except (ToolError, TimeoutError):
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
        if exited or not await self.health_check(name):
            log.warning("tool_server_unhealthy", server=name)
            state.healthy = False
            state.next_attempt = now

    async def restart_server(self, name: str) -> bool:
        state = self._supervised[name]
        log.info("tool_server_restarting", server=name, attempt=state.failures + 1)
        restarted(name)
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
        loop = asyncio.get_running_loop()
        if _pools.get(loop) is self.pool:
            del _pools[loop]
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
