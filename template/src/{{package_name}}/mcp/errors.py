# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Errors of the tool-server component: a broken config/tools.yaml, or a failed tool call.

`ToolCallError` is this project's error for a call that failed on the way to or inside a
server. It is not FastMCP's `fastmcp.exceptions.ToolError`, which a tool raises inside its
server to report bad input; that one reaches callers as a `ToolCallError` with
`retryable=False`.
"""

from __future__ import annotations

from ..common.errors import RestackAppError


class ToolsError(RestackAppError):
    """Base of every tool-server error."""

    fix = "Check the servers with `restack doctor --check-tools` (docs/tools.md explains each)."


class ToolsConfigError(ToolsError, ValueError):
    """config/tools.yaml is missing, malformed, or names something that does not exist."""

    exit_code = 2
    fix = "Repair config/tools.yaml (docs/tools.md lists every field)."


class ToolCallError(ToolsError):
    """A tool call failed. `retryable` says whether trying again can help."""

    def __init__(
        self,
        server: str,
        tool: str,
        message: str,
        retryable: bool = True,
        *,
        fix: str | None = None,
    ) -> None:
        self.server = server
        self.tool = tool
        self.retryable = retryable
        if fix is None:
            fix = f"Try the server alone with `restack test:tools --server {server}`."
        super().__init__(f"[{server}.{tool}] {message}", fix=fix)
