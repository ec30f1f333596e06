# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Tool servers at runtime, under the import path the spec documents.

The implementation lives in the `mcp` package (config, session pool, client, supervisor);
this module re-exports its public API so imports from `common.fastmcp_manager` keep
working.
"""

from __future__ import annotations

from ..mcp.client import FastMCPClient, ToolInvocation, ToolResult
from ..mcp.errors import ToolCallError, ToolsConfigError, ToolsError
from ..mcp.supervisor import FastMCPServerManager

__all__ = [
    "FastMCPClient",
    "FastMCPServerManager",
    "ToolCallError",
    "ToolInvocation",
    "ToolResult",
    "ToolsConfigError",
    "ToolsError",
]
