# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""MCP tool definitions as OpenAI and Anthropic function-calling definitions.

Both providers accept tool names matching `^[a-zA-Z0-9_-]{1,64}$`; MCP names may hold
dots or slashes and two servers may share a tool name, so each exposed name is
`<server>__<tool>`, cleaned, cut to 64 characters and made unique, and the catalog maps
it back to the server and tool to call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.types import Tool

_NOT_ALLOWED = re.compile(r"[^a-zA-Z0-9_-]")
MAX_NAME = 64


@dataclass(frozen=True)
class ToolRef:
    server: str
    tool: str


def _parameters(tool: Tool) -> dict[str, Any]:
    schema = dict(tool.input_schema or {})
    schema.setdefault("type", "object")
    schema.setdefault("properties", {})
    return schema


@dataclass
class ToolCatalog:
    """The tools of several servers under provider-safe names."""

    entries: dict[str, tuple[ToolRef, Tool]] = field(default_factory=dict)

    @classmethod
    def from_servers(cls, tools_by_server: dict[str, Iterable[Tool]]) -> ToolCatalog:
        catalog = cls()
        for server, tools in tools_by_server.items():
            for tool in tools:
                catalog.add(server, tool)
        return catalog

    def add(self, server: str, tool: Tool) -> str:
        base = _NOT_ALLOWED.sub("_", f"{server}__{tool.name}")[:MAX_NAME] or "tool"
        name, counter = base, 2
        while name in self.entries:
            suffix = f"_{counter}"
            name = base[: MAX_NAME - len(suffix)] + suffix
            counter += 1
        self.entries[name] = (ToolRef(server, tool.name), tool)
        return name

    def resolve(self, exposed_name: str) -> ToolRef:
        """The server and tool behind a name a model called; KeyError names the known ones."""
        try:
            return self.entries[exposed_name][0]
        except KeyError:
            known = ", ".join(sorted(self.entries)) or "none"
            raise KeyError(f"unknown tool '{exposed_name}' (known: {known})") from None

    def openai_tools(self) -> list[dict[str, Any]]:
        """Chat Completions `tools` (no `strict`: MCP schemas leave defaulted fields optional)."""
        return [
            {
                "type": "function",
                "function": {
                    "name": name,
                    "description": tool.description or "",
                    "parameters": _parameters(tool),
                },
            }
            for name, (_, tool) in self.entries.items()
        ]

    def openai_response_tools(self) -> list[dict[str, Any]]:
        """Responses API `tools` (flat shape)."""
        return [
            {
                "type": "function",
                "name": name,
                "description": tool.description or "",
                "parameters": _parameters(tool),
            }
            for name, (_, tool) in self.entries.items()
        ]

    def anthropic_tools(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "description": tool.description or "", "input_schema": _parameters(tool)}
            for name, (_, tool) in self.entries.items()
        ]
