# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""A misbehaving MCP server and helpers for testing code that calls tools.

Run as a module (`python -m`, optionally `--transport http --port N`), it serves the `faulty`
server: `echo`, `note` (sends a log message to the client), `pid` (which process
answered), `slow(seconds)`, `crash` (the process exits mid-call) and `hang` (never
answers). `faulty_server(...)` builds its
config/tools.yaml entry, so tests exercise crashes and timeouts on real processes.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from typing import Any

from fastmcp import Context, FastMCP
from starlette.requests import Request
from starlette.responses import JSONResponse

from .config import ServerConfig
from .serve import serve_from_command_line

_MODULE = __name__

mcp = FastMCP("faulty")


@mcp.tool
def echo(text: str) -> str:
    """Return `text` unchanged."""
    return text


@mcp.tool
async def note(text: str, ctx: Context) -> str:
    """Send `text` to the client as a log message, then return it."""
    await ctx.info(text)
    return text


@mcp.tool
def pid() -> int:
    """The process id of the server that answered."""
    return os.getpid()


@mcp.tool
async def slow(seconds: float) -> float:
    """Answer after `seconds`."""
    await asyncio.sleep(seconds)
    return seconds


@mcp.tool
def crash() -> str:
    """End the server process in the middle of the call."""
    sys.stdout.flush()
    os._exit(3)


@mcp.tool
async def hang() -> str:
    """Never answer (until the process is stopped)."""
    await asyncio.Event().wait()
    return "unreachable"


@mcp.custom_route("/health", methods=["GET"])
async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok", "pid": os.getpid()})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def faulty_server(name: str = "faulty", transport: str = "stdio", **options: Any) -> ServerConfig:
    """A config entry that runs the faulty server as a third-party command would be run."""
    entry: dict[str, Any] = {
        "name": name,
        "transport": transport,
        "command": sys.executable,
        "args": ["-m", _MODULE],
        "timeout": 10,
    }
    if transport != "stdio":
        port = free_port()
        entry["url"] = f"http://127.0.0.1:{port}/mcp"
        entry["args"] += ["--transport", transport, "--port", str(port)]
    entry.update(options)
    return ServerConfig.model_validate(entry)


def main(argv: list[str] | None = None) -> None:
    serve_from_command_line(mcp, default_port=8799, argv=argv)


if __name__ == "__main__":
    main()
