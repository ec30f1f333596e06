# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The command line every MCP server module of this project shares (`python -m ...`)."""

from __future__ import annotations

import argparse
from typing import Literal

from fastmcp import FastMCP

Transport = Literal["stdio", "http", "sse"]


def serve_from_command_line(
    mcp: FastMCP,
    *,
    default_transport: Transport = "stdio",
    default_port: int = 8701,
    argv: list[str] | None = None,
) -> None:
    """Parse `--transport/--host/--port` and run `mcp` until it is stopped."""
    parser = argparse.ArgumentParser(description=mcp.instructions)
    parser.add_argument("--transport", choices=["stdio", "http", "sse"], default=default_transport)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port)
    options = parser.parse_args(argv)
    if options.transport == "stdio":
        mcp.run(show_banner=False)
    else:
        mcp.run(
            transport=options.transport, host=options.host, port=options.port, show_banner=False
        )
