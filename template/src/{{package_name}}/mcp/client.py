# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`FastMCPClient`: call tools on a server named in config/tools.yaml.

    client = FastMCPClient("text")
    result = await client.call_tool("slugify", {"title": "Hello"})

Every client of one server in one process shares one open session (see `pool.py`). A
call that finds the session broken (the server died) reopens it once and sends the call
again. Failures reach callers as `ToolCallError(server, tool, message, retryable)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from fastmcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import Tool

from .errors import ToolCallError, ToolsConfigError
from .pool import ToolClientPool, ToolSession, client_pool

log = structlog.get_logger(__name__)

_JSON_TYPES = (dict, list, str, int, float, bool, type(None))


@dataclass(frozen=True)
class ToolResult:
    server: str
    tool: str
    data: Any
    """The structured result (the tool's return value), or None for text-only tools."""
    text: str
    """The text content the server sent, joined."""


@dataclass(frozen=True)
class ToolInvocation:
    """One call of a batch: the tool's name and its arguments."""

    tool: str
    arguments: dict[str, Any] = field(default_factory=dict)


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

    def _session(self) -> ToolSession:
        try:
            return self.pool.session(self.server_name)
        except ToolsConfigError as error:
            raise ToolCallError(
                self.server_name, "*", str(error), retryable=False, fix=error.fix
            ) from None

    async def _client(self, tool: str) -> Client[Any]:
        session = self._session()
        try:
            return await session.open()
        except ToolsConfigError as error:
            raise ToolCallError(
                self.server_name, tool, str(error), retryable=False, fix=error.fix
            ) from None
        except Exception as error:
            raise ToolCallError(
                self.server_name,
                tool,
                f"cannot connect to the server ({type(error).__name__}: {error})",
                retryable=True,
                fix="Check it with `restack doctor --check-tools`.",
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
                    raise ToolCallError(self.server_name, "list_tools", str(error)) from error
                await session.close()
                if attempt == 2:
                    raise ToolCallError(
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
                    raise ToolCallError(
                        self.server_name, name, f"no answer within {limit:g}s", retryable=True
                    ) from error
                if not _is_broken_connection(error):
                    raise ToolCallError(
                        self.server_name, name, str(error), retryable=False
                    ) from error
                broken: BaseException = error
            except Exception as error:
                if not _is_broken_connection(error):
                    raise ToolCallError(
                        self.server_name, name, str(error), retryable=False
                    ) from error
                broken = error
            else:
                if result.is_error:
                    # The tool refused the arguments; its own message says why.
                    raise ToolCallError(
                        self.server_name, name, _text_of(result), retryable=False, fix=""
                    )
                data = result.data if isinstance(result.data, _JSON_TYPES) else None
                if data is None and result.structured_content is not None:
                    data = result.structured_content
                return ToolResult(self.server_name, name, data, _text_of(result))
            log.warning(
                "tool_session_broken", server=self.server_name, tool=name, error=str(broken)
            )
            await session.close()
            if attempt == 2:
                raise ToolCallError(
                    self.server_name,
                    name,
                    f"the server closed the connection during the call ({broken}); "
                    "it is restarted on the next call",
                    retryable=True,
                ) from broken
        raise AssertionError("unreachable")

    async def call_tools_batch(
        self, calls: Sequence[ToolInvocation]
    ) -> list[ToolResult | ToolCallError]:
        """Run calls concurrently on the one session; each slot holds a result or its error."""

        async def one(call: ToolInvocation) -> ToolResult | ToolCallError:
            try:
                return await self.call_tool(call.tool, call.arguments)
            except ToolCallError as error:
                return error

        return list(await asyncio.gather(*(one(call) for call in calls)))

    async def close(self) -> None:
        await self.pool.close(self.server_name)
