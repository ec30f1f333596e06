"""Tool servers at runtime, under the import path the spec documents.

The implementation lives in the `mcp` package (config, session pool, client, supervisor);
this module re-exports its public API so `from <package>.common.fastmcp_manager import
FastMCPClient` keeps working.
"""

from __future__ import annotations

from ..mcp.client import FastMCPClient, FastMCPServerManager, ToolError, ToolResult

__all__ = ["FastMCPClient", "FastMCPServerManager", "ToolError", "ToolResult"]
