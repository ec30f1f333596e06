# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Tool-server commands: `restack g tool-server`, `restack test:tools`, doctor's tool checks.

Every `restack` command imports this module to list these commands, so the config
models (pydantic) are imported by the commands that read config/tools.yaml.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
import yaml

from ..cli.changes import FileChange, Force, Pretend, Skip, change, write_options
from ..cli.checks import Check, Status
from ..cli.components import Component
from ..cli.console import console, fail
from ..cli.generate import generate
from ..cli.template import template_source
from ..common import yamledit
from ..common.naming import check_component_name
from ..common.settings import load_engine_settings, project_root
from . import TOOLS_CONFIG
from .errors import ToolCallError, ToolsConfigError

if TYPE_CHECKING:
    from mcp.types import Tool

    from .client import FastMCPClient
    from .config import ServerConfig, ToolsConfig

FIRST_HTTP_PORT = 8701
_PORT = re.compile(r":(\d+)(?:/|$)")
_NEW_CONFIG_HEADER = "# MCP tool servers used by this project's agents (see docs/tools.md).\n"


# ------------------------------------------------------------------ config/tools.yaml edits


def read_registry(path: Path) -> yamledit.CommentedMap:
    """The parsed config/tools.yaml (empty skeleton when missing); refuses broken files."""
    new = _NEW_CONFIG_HEADER + "fastmcp:\n  servers: []\n"
    try:
        document = yamledit.load(path, new=new)
    except yamledit.YamlSyntaxError as error:
        raise ToolsConfigError(str(error), fix=error.fix) from None
    from .config import parse_tools_config

    parse_tools_config(document, str(path))  # the same validation the service applies
    if document is None:
        document = yamledit.CommentedMap()
    if not isinstance(document.get("fastmcp"), dict):
        document["fastmcp"] = yamledit.CommentedMap()
    if not isinstance(document["fastmcp"].get("servers"), list):
        document["fastmcp"]["servers"] = yamledit.CommentedSeq()
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
) -> yamledit.CommentedMap:
    entry = yamledit.CommentedMap()
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
    entry["health_check"] = yamledit.CommentedMap(enabled=True, interval=30)
    return entry


def registry_with(document: yamledit.CommentedMap, entry: yamledit.CommentedMap, path: Path) -> str:
    """The text of config/tools.yaml with `entry` added, or replacing the server of its name."""
    servers = document["fastmcp"]["servers"]
    index = next((i for i, s in enumerate(servers) if s.get("name") == entry["name"]), None)
    if index is None:
        servers.append(entry)
        if len(servers) > 1:  # a blank line between entries, as in the shipped file
            servers.yaml_set_comment_before_after_key(len(servers) - 1, before="\n", indent=4)
    else:
        servers[index] = entry
    from .config import parse_tools_config

    text = yamledit.dump(document)
    parse_tools_config(yaml.safe_load(text), str(path))  # what the service will read
    return text


def register_server(path: Path, entry: yamledit.CommentedMap) -> bool:
    """Add `entry` to config/tools.yaml; False (and no write) when it is already there."""
    document = read_registry(path)
    if any(server.get("name") == entry["name"] for server in document["fastmcp"]["servers"]):
        return False
    yamledit.write_atomic(path, registry_with(document, entry, path))
    return True


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def registry_change(
    root: Path, document: yamledit.CommentedMap, entry: yamledit.CommentedMap
) -> FileChange:
    """config/tools.yaml with the server registered: identical when the same entry is there,
    a clash when a server of that name is configured differently."""
    path, relative = root / TOOLS_CONFIG, TOOLS_CONFIG.as_posix()
    name = entry["name"]
    existing = next((s for s in document["fastmcp"]["servers"] if s.get("name") == name), None)
    if existing is not None and _plain(existing) == _plain(entry):
        return change(root, relative, path.read_bytes(), edit=True)
    clash = f"server '{name}' is already in {relative} with other settings" if existing else ""
    return change(root, relative, registry_with(document, entry, path), edit=True, clash=clash)


def tool_server(
    name: str = typer.Argument(..., help="Server name, e.g. research (module research_mcp)"),
    transport: str = typer.Option(
        "stdio", "--transport", help="stdio (a child of the service) or http (its own port)"
    ),
    autostart: bool = typer.Option(
        True, "--autostart/--no-autostart", help="Start and supervise it with the service"
    ),
    force: Force = False,
    skip: Skip = False,
    pretend: Pretend = False,
) -> None:
    """Generate an MCP tool server with two sample tools and its test; register it."""
    options = write_options(force, skip, pretend)
    if transport not in ("stdio", "http"):
        fail(f"Unknown transport '{transport}'.", fix="Use --transport stdio or http.", code=2)
    module = check_component_name(name, "tool-server")
    root = project_root()
    document = read_registry(root / TOOLS_CONFIG)  # refuses a broken file first
    package = template_source().package_name
    servers = document["fastmcp"]["servers"]
    others = [server for server in servers if server.get("name") != module]
    entry = server_entry(module, f"{package}.tools.{module}_mcp", transport, autostart, others)
    current = next((server for server in servers if server.get("name") == module), None)
    if current is not None and transport == "http" and current.get("url"):
        entry["url"] = current["url"]  # a regenerated server keeps its port
    flag = "" if autostart else " --no-autostart"
    option = " --transport http" if transport == "http" else ""
    written = generate(
        "tool-server",
        name,
        f"restack g tool-server {name}{option}{flag}",
        {"transport": transport},
        options=options,
        extra=[registry_change(root, document, entry)],
    )
    if written and not options.pretend:
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
    from .client import FastMCPClient
    from .pool import ToolClientPool
    from .supervisor import FastMCPServerManager

    # Server lifecycle logs go to stderr, and only warnings: stdout is the report (or JSON).
    configure_logging(level=os.environ.get("RESTACK_LOG_LEVEL") or "WARNING")
    manager = FastMCPServerManager(config)

    async def probe(name: str) -> list[Check]:
        server = config.server(name)
        client = FastMCPClient(name, manager.pool if call else ToolClientPool(config))
        try:
            try:
                tools = await client.list_tools()
            except ToolCallError as error:
                return [await _unreachable(server, error, started=call)]
            names_list = ", ".join(tool.name for tool in tools) or "none"
            status: Status = "ok" if tools else "warn"
            listed = Check(
                "Tool servers",
                name,
                status,
                f"reachable, {len(tools)} tool(s): {names_list}",
                "" if tools else "The server exposes no tools; add some with @mcp.tool.",
            )
            return [listed, *(await _call_samples(client, tools) if call else [])]
        finally:
            await client.close()

    try:
        if call:
            await manager.start_all()
        # Every server at once: starting one is mostly its interpreter importing FastMCP,
        # so the report waits for the slowest server rather than for all of them in turn.
        # An unexpected error in one probe cancels the others and is raised as itself,
        # as it was when they ran one after another (not wrapped in an ExceptionGroup).
        try:
            async with asyncio.TaskGroup() as group:
                probes = [group.create_task(probe(name)) for name in names]
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
    finally:
        await manager.stop_all()
    return [check for finished in probes for check in finished.result()]


async def _unreachable(server: ServerConfig, error: ToolCallError, *, started: bool) -> Check:
    """A server that does not answer fails, unless it is one the service starts (an http
    server with `autostart`) and no service is running yet: then it is simply not started."""
    service_starts_it = not started and server.managed and server.transport != "stdio"
    if service_starts_it and not await _service_running():
        return Check(
            "Tool servers",
            server.name,
            "warn",
            f"not running yet ({server.url}); the service starts it",
            "`restack dev` or `restack run:server` starts it; "
            "`restack test:tools` starts and calls it now.",
        )
    return Check("Tool servers", server.name, "fail", f"unreachable: {error}", _start_hint(server))


async def _service_running() -> bool:
    from ..client import ClientError, connect, service_pollers

    settings = load_engine_settings()
    try:
        client = await asyncio.wait_for(connect(settings), timeout=5)
        return await asyncio.wait_for(service_pollers(client, settings), timeout=5) > 0
    except (ClientError, TimeoutError):
        return False


async def _call_samples(client: FastMCPClient, tools: list[Tool]) -> list[Check]:
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
        except ToolCallError as error:
            checks.append(
                Check("Tool calls", label, "fail", str(error), "Fix the tool or its sample meta.")
            )
            continue
        shown = repr(result.data if result.data is not None else result.text)
        checks.append(Check("Tool calls", label, "ok", shown[:100]))
    return checks


def _selected(server: str | None) -> tuple[ToolsConfig, list[str]]:
    from .config import load_tools_config

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
    config, names = _selected(server)
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


def preflight() -> None:
    """The service starts the tool servers of config/tools.yaml: refuse a broken file."""
    from .config import load_tools_config

    try:
        load_tools_config()
    except ToolsConfigError as error:
        fail(str(error), fix=f"Correct {TOOLS_CONFIG} as the message says.", code=2)


def register(app: typer.Typer, generators: typer.Typer) -> None:
    generators.command("tool-server")(tool_server)
    app.command("test:tools")(test_tools)


def check_server_references(servers: list[str], may_write: bool = False) -> None:
    """Refuse tool servers that config/tools.yaml does not define (for `g agent --tools`)."""
    from .config import load_tools_config

    known = [server.name for server in load_tools_config().servers]
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
    preflight=preflight,
)
