"""Tool-server commands: `restack g tool-server`, `restack test:tools`, doctor's tool checks."""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from ..cli.checks import Check, Status
from ..cli.components import Component
from ..cli.console import console, fail
from ..cli.generate import generate
from ..cli.template import TemplateError, template_source
from ..common.naming import InvalidNameError, check_component_name
from ..common.settings import project_root
from .config import (
    TOOLS_CONFIG,
    ServerConfig,
    ToolsConfig,
    ToolsConfigError,
    load_tools_config,
    parse_tools_config,
)

if TYPE_CHECKING:
    from mcp.types import Tool

    from .client import FastMCPClient

FIRST_HTTP_PORT = 8701
_PORT = re.compile(r":(\d+)(?:/|$)")
_NEW_CONFIG_HEADER = "# MCP tool servers used by this project's agents (see docs/tools.md).\n"


# ------------------------------------------------------------------ config/tools.yaml edits


def _yaml() -> YAML:
    yaml = YAML()  # round-trip mode: comments, order and quoting survive the edit
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    return yaml


def read_registry(path: Path) -> CommentedMap:
    """The parsed config/tools.yaml (empty skeleton when missing); refuses broken files."""
    if not path.exists():
        return _yaml().load(_NEW_CONFIG_HEADER + "fastmcp:\n  servers: []\n")  # type: ignore[no-any-return]
    text = path.read_text(encoding="utf-8")
    try:
        document = _yaml().load(text)
    except YAMLError as error:
        raise ToolsConfigError(f"{path} is not valid YAML: {error}") from None
    parse_tools_config(document, str(path))  # the same validation the service applies
    if document is None:
        document = CommentedMap()
    if not isinstance(document.get("fastmcp"), dict):
        document["fastmcp"] = CommentedMap()
    if not isinstance(document["fastmcp"].get("servers"), list):
        document["fastmcp"]["servers"] = CommentedSeq()
    return document  # type: ignore[no-any-return]


def _used_ports(servers: Iterable[Any]) -> set[int]:
    ports = set()
    for server in servers:
        match = _PORT.search(str(server.get("url", "")))
        if match:
            ports.add(int(match.group(1)))
    return ports


def server_entry(
    name: str, module: str, transport: str, autostart: bool, servers: list[Any]
) -> CommentedMap:
    entry = CommentedMap()
    entry["name"] = name
    entry["module"] = module
    entry["transport"] = transport
    if transport == "http":
        port = FIRST_HTTP_PORT
        while port in _used_ports(servers):
            port += 1
        entry["url"] = f"http://127.0.0.1:{port}/mcp"
    entry["autostart"] = autostart
    entry["timeout"] = 30
    entry["health_check"] = CommentedMap(enabled=True, interval=30)
    return entry


def register_server(path: Path, entry: CommentedMap) -> bool:
    """Add `entry` to config/tools.yaml; False (and no write) when it is already there."""
    document = read_registry(path)
    servers = document["fastmcp"]["servers"]
    if any(server.get("name") == entry["name"] for server in servers):
        return False
    servers.append(entry)
    if len(servers) > 1:  # a blank line between entries, as in the shipped file
        servers.yaml_set_comment_before_after_key(len(servers) - 1, before="\n", indent=4)
    buffer = io.StringIO()
    _yaml().dump(document, buffer)
    parse_tools_config(YAML(typ="safe").load(buffer.getvalue()), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return True


def tool_server(
    name: str = typer.Argument(..., help="Server name, e.g. research (module research_mcp)"),
    transport: str = typer.Option(
        "stdio", "--transport", help="stdio (a child of the service) or http (its own port)"
    ),
    autostart: bool = typer.Option(
        True, "--autostart/--no-autostart", help="Start and supervise it with the service"
    ),
) -> None:
    """Generate an MCP tool server with two sample tools and its test; register it."""
    if transport not in ("stdio", "http"):
        fail(f"Unknown transport '{transport}'.", fix="Use --transport stdio or http.", code=2)
    try:
        module = check_component_name(name, "tool-server")
    except InvalidNameError as error:
        fail(str(error), code=2)
    path = project_root() / TOOLS_CONFIG
    try:
        document = read_registry(path)
        package = template_source().package_name
    except ToolsConfigError as error:
        fail(str(error), fix=f"Repair {TOOLS_CONFIG} first; nothing was generated.", code=2)
    except TemplateError as error:
        fail(str(error))
    servers = document["fastmcp"]["servers"]
    if any(server.get("name") == module for server in servers):
        fail(
            f"A tool server named '{module}' is already in {TOOLS_CONFIG}.",
            fix="Pick another name, or remove that entry first.",
            code=2,
        )
    entry = server_entry(module, f"{package}.tools.{module}_mcp", transport, autostart, servers)
    flag = "" if autostart else " --no-autostart"
    option = " --transport http" if transport == "http" else ""
    generate(
        "tool-server",
        name,
        f"restack g tool-server {name}{option}{flag}",
        {"transport": transport},
    )
    register_server(path, entry)
    console.print(f"  [green]update[/]  {TOOLS_CONFIG} (server '{module}')")
    console.print(
        f'Agents call it with call_tool(server="{module}", tool=...). '
        f"Try it: `restack test:tools --server {module}`."
    )


# ------------------------------------------------------------------ checks and smoke tests


def _start_hint(server: ServerConfig) -> str:
    if server.launchable:
        command = " ".join(server.launch_command())
        if server.autostart:
            return f"It starts with `restack run:server`; run `{command}` alone to see its error."
        return f"Start it with `{command}`, or set `autostart: true` in {TOOLS_CONFIG}."
    return f"Start the server behind {server.url}, or fix its `url` in {TOOLS_CONFIG}."


def sample_arguments(tool: Tool) -> dict[str, Any] | None:
    """The arguments a smoke test can call `tool` with: its `sample` meta, or {} when it
    needs no arguments; None when there is nothing safe to call it with."""
    sample = (tool.meta or {}).get("sample")
    if isinstance(sample, dict):
        return sample
    if not (tool.input_schema or {}).get("required"):
        return {}
    return None


async def _probe(config: ToolsConfig, names: list[str], call: bool) -> list[Check]:
    # Imported here: `restack --help` and the other commands do not need FastMCP.
    from ..common.observability import configure_logging
    from .client import FastMCPClient, FastMCPServerManager, ToolClientPool, ToolError

    # Server lifecycle logs go to stderr, and only warnings: stdout is the report (or JSON).
    configure_logging(level=os.environ.get("RESTACK_LOG_LEVEL") or "WARNING")
    manager = FastMCPServerManager(config)
    checks: list[Check] = []
    try:
        if call:
            await manager.start_all()
        for name in names:
            server = config.server(name)
            client = FastMCPClient(name, manager.pool if call else ToolClientPool(config))
            try:
                tools = await client.list_tools()
            except ToolError as error:
                checks.append(
                    Check(
                        "Tool servers", name, "fail", f"unreachable: {error}", _start_hint(server)
                    )
                )
                await client.close()
                continue
            names_list = ", ".join(tool.name for tool in tools) or "none"
            status: Status = "ok" if tools else "warn"
            checks.append(
                Check(
                    "Tool servers",
                    name,
                    status,
                    f"reachable, {len(tools)} tool(s): {names_list}",
                    "" if tools else "The server exposes no tools; add some with @mcp.tool.",
                )
            )
            if call:
                checks.extend(await _call_samples(client, tools))
            await client.close()
    finally:
        await manager.stop_all()
    return checks


async def _call_samples(client: FastMCPClient, tools: list[Tool]) -> list[Check]:
    from .client import ToolError

    checks = []
    for tool in tools:
        label = f"{client.server_name}.{tool.name}"
        arguments = sample_arguments(tool)
        if arguments is None:
            checks.append(
                Check(
                    "Tool calls",
                    label,
                    "warn",
                    "not called: it needs arguments and declares no sample",
                    'Declare one: @mcp.tool(meta={"sample": {...}}).',
                )
            )
            continue
        try:
            result = await client.call_tool(tool.name, arguments)
        except ToolError as error:
            checks.append(
                Check("Tool calls", label, "fail", str(error), "Fix the tool or its sample meta.")
            )
            continue
        shown = repr(result.data if result.data is not None else result.text)
        checks.append(Check("Tool calls", label, "ok", shown[:100]))
    return checks


def _selected(server: str | None) -> tuple[ToolsConfig, list[str]]:
    config = load_tools_config()
    if server is None:
        return config, [s.name for s in config.servers]
    config.server(server)  # raises with the list of configured names
    return config, [server]


def tool_checks() -> Iterable[Check]:
    try:
        config, names = _selected(None)
    except ToolsConfigError as error:
        yield Check("Tool servers", "config", "fail", str(error), f"Repair {TOOLS_CONFIG}.")
        return
    yield Check("Tool servers", "config", "ok", f"{len(names)} server(s) in {TOOLS_CONFIG}")
    yield from asyncio.run(_probe(config, names, call=False))


_MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


def test_tools(
    server: str | None = typer.Option(None, "--server", help="Only this server"),
) -> None:
    """Start the tool servers, list each one's tools and call each with its sample.

    Exit code: 0 all good, 1 a server or call failed, 2 bad configuration or name.
    """
    try:
        config, names = _selected(server)
    except ToolsConfigError as error:
        fail(str(error), code=2)
    if not names:
        fail(f"No servers in {TOOLS_CONFIG}.", fix="Add one: `restack g tool-server NAME`.")
    with console.status("Starting tool servers..."):
        checks = asyncio.run(_probe(config, names, call=True))
    for check in checks:
        console.print(f"{_MARKS[check.status]} {check.name}: {check.detail}", highlight=False)
        if check.status != "ok" and check.fix:
            console.print(f"    fix: {check.fix}", highlight=False)
    failed = [check for check in checks if check.status == "fail"]
    if failed:
        console.print(f"[red]{len(failed)} failed.[/]")
        raise typer.Exit(1)


def register(app: typer.Typer, generators: typer.Typer) -> None:
    generators.command("tool-server")(tool_server)
    app.command("test:tools")(test_tools)


def check_server_references(servers: list[str]) -> None:
    """Refuse tool servers that config/tools.yaml does not define (for `g agent --tools`)."""
    try:
        known = [server.name for server in load_tools_config().servers]
    except ToolsConfigError as error:
        fail(str(error), code=2)
    missing = [server for server in servers if server not in known]
    if missing:
        fail(
            f"No tool server named {', '.join(missing)} in config/tools.yaml "
            f"(configured: {', '.join(known) or 'none'}).",
            fix=f"Create it with `restack g tool-server {missing[0]}`, or pick a configured one.",
            code=2,
        )


COMPONENT = Component(
    name="mcp",
    title="tool servers",
    answer="with_tools",
    check_flag="--check-tools",
    check_help="Also check every tool server in config/tools.yaml",
    checks=tool_checks,
    register=register,
    check_references=check_server_references,
)
