# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Running things: `run:server`, `dev`, `run:agent`, `run:workflow`.

`dev` and `run:server` leave nothing running behind them: SIGINT, SIGTERM and SIGHUP
stop the service and then the engine, at any moment (while the engine is still
starting too), and the engine is tied to this process's life by a parent-death signal,
so even SIGKILL does not leave it holding its port.

The engine client, the service and what they load are imported inside the commands:
`restack --help`, `restack g ...` and the rest start without them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import replace
from typing import Any

import typer

from ..common.errors import RestackAppError
from ..common.process import SignalExit, end_on_signals, raise_if_signalled, signals_deferred
from ..common.settings import EngineSettings, load_engine_settings, project_root
from .components import installed_components
from .console import console, errors, fail


def preflight() -> None:
    """Refuse to start a service whose configuration cannot work, in one line."""
    for component in installed_components():
        if component.preflight is not None:
            component.preflight()


def _serve(settings: EngineSettings) -> None:
    from ..service import serve

    raise_if_signalled()
    try:
        asyncio.run(serve(settings))
    except RestackAppError:
        raise  # reported with its own fix
    except RuntimeError as error:  # the SDK's connection and worker failures
        fail(
            f"The service stopped: {' '.join(str(error).split())}",
            fix="Is the engine running? Start it with `restack dev`, "
            "or check RESTACK_ENGINE_ADDRESS.",
        )


def run_server() -> None:
    """Run the service against RESTACK_ENGINE_ADDRESS (default localhost:7233)."""
    from ..client import connect
    from ..common.observability import configure_logging

    end_on_signals()
    raise_if_signalled()
    configure_logging()
    settings = load_engine_settings()
    preflight()
    console.print(f"Service connecting to [bold]{settings.address}[/] (Ctrl-C to stop)")
    # Before the tool servers start: an engine that is not there is a one-line error.
    asyncio.run(connect(settings))
    _serve(settings)


def dev(
    port: int = typer.Option(7233, help="gRPC port of the embedded engine"),
    ui: bool = typer.Option(False, help="Also serve the Temporal Web UI on --ui-port"),
    ui_port: int = typer.Option(8233, help="Port of the Web UI when --ui is set"),
    memory: bool = typer.Option(
        False, help="Keep engine state in memory instead of .restack/engine.db"
    ),
) -> None:
    """Start the embedded engine and the service together; Ctrl-C stops both."""
    # The service first: its import sets up the process's engine runtime (see
    # common/runtime.py) before the engine's readiness probe would make another.
    from ..service import serve  # noqa: F401  # isort: skip
    from ..common.engine import EmbeddedEngine
    from ..common.observability import configure_logging

    end_on_signals()
    raise_if_signalled()  # a Ctrl-C while the imports above ran (see common/process.py)
    configure_logging()
    settings = load_engine_settings()
    if settings.is_remote:
        console.print(
            f"RESTACK_ENGINE_ADDRESS is set: using the engine at [bold]{settings.address}[/] "
            "instead of starting the embedded one."
        )
        run_server()
        return
    preflight()
    state_dir = project_root() / ".restack"
    engine = EmbeddedEngine(
        port=port,
        ui_port=ui_port if ui else None,
        db_file=None if memory else state_dir / "engine.db",
        log_file=state_dir / "engine.log",
    )
    try:
        with console.status(f"Starting the embedded engine on 127.0.0.1:{port}..."):
            engine.start()
    except SignalExit as stopped:  # start() has stopped the engine already
        _say(f"Stopped by {stopped.name} while the engine was starting; the engine is stopped.")
        raise
    try:
        ui_note = f", UI on http://127.0.0.1:{ui_port}" if ui else ""
        console.print(f"[green]Engine ready[/] on {engine.address}{ui_note}")
        console.print("Starting the service (Ctrl-C stops the service and the engine)")
        _serve(replace(settings, address=engine.address))
    finally:
        with signals_deferred():  # a second Ctrl-C must not cut the engine's stop short
            engine.stop()
        _say("Engine stopped.")


def _say(message: str) -> None:
    # After SIGHUP the terminal may be gone; the message is a courtesy, not a reason to fail.
    with contextlib.suppress(OSError):
        errors.print(message, highlight=False)


def _parse_payload(payload: str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except json.JSONDecodeError as error:
        fail(
            f"The input is not valid JSON ({error.msg} at position {error.pos}).",
            fix="""Quote it for your shell, e.g. '{"name": "Ada"}'.""",
            code=2,
        )
    if not isinstance(value, dict):
        fail("""The input must be a JSON object, e.g. '{"name": "Ada"}'.""", code=2)
    return value


def _run_and_print(kind: str, name: str, payload: str, timeout: float) -> None:
    from ..client import run

    data = _parse_payload(payload)
    # The SDK logs each failure it raises; the one-line error below says it all.
    sdk_log = logging.getLogger("restack")
    level = sdk_log.level
    sdk_log.setLevel(logging.CRITICAL)
    try:
        result = asyncio.run(run(kind, name, data, timeout_seconds=timeout))
    finally:
        sdk_log.setLevel(level)
    console.print_json(json.dumps(result, default=str))


def run_agent(
    name: str = typer.Argument(..., help="Agent name, e.g. GreeterAgent"),
    payload: str = typer.Argument("{}", help="Input as a JSON object"),
    timeout: float = typer.Option(300.0, help="Seconds to wait for the result"),
) -> None:
    """Schedule an agent, wait for it to finish and print its JSON result."""
    _run_and_print("agent", name, payload, timeout)


def run_workflow(
    name: str = typer.Argument(..., help="Workflow name, e.g. GreetingWorkflow"),
    payload: str = typer.Argument("{}", help="Input as a JSON object"),
    timeout: float = typer.Option(300.0, help="Seconds to wait for the result"),
) -> None:
    """Schedule a workflow, wait for it to finish and print its JSON result."""
    _run_and_print("workflow", name, payload, timeout)
