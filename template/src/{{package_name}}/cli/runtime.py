"""Running things: `run:server`, `dev`, `run:agent`, `run:workflow`.

The engine client, the service and what they load are imported inside the commands:
`restack --help`, `restack g ...` and the rest start without them.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import typer

from ..common.settings import load_engine_settings, project_root
from .console import console, fail


def run_server() -> None:
    """Run the service against RESTACK_ENGINE_ADDRESS (default localhost:7233)."""
    from ..common.observability import configure_logging
    from ..service import serve

    configure_logging()
    settings = load_engine_settings()
    console.print(f"Service connecting to [bold]{settings.address}[/] (Ctrl-C to stop)")
    try:
        asyncio.run(serve(settings))
    except RuntimeError as error:
        fail(
            f"The service stopped: {error}",
            fix="Is the engine running? Start it with `restack dev`, "
            "or check RESTACK_ENGINE_ADDRESS.",
        )


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
    from ..common.engine import EmbeddedEngine, EngineError
    from ..common.observability import configure_logging
    from ..service import serve

    configure_logging()
    settings = load_engine_settings()
    if settings.is_remote:
        console.print(
            f"RESTACK_ENGINE_ADDRESS is set: using the engine at [bold]{settings.address}[/] "
            "instead of starting the embedded one."
        )
        run_server()
        return
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
    except EngineError as error:
        fail(str(error))
    try:
        ui_note = f", UI on http://127.0.0.1:{ui_port}" if ui else ""
        console.print(f"[green]Engine ready[/] on {engine.address}{ui_note}")
        console.print("Starting the service (Ctrl-C stops the service and the engine)")
        asyncio.run(serve(replace(settings, address=engine.address)))
    finally:
        engine.stop()
        console.print("Engine stopped.")


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
    from ..client import ClientError, run

    data = _parse_payload(payload)
    try:
        result = asyncio.run(run(kind, name, data, timeout_seconds=timeout))
    except ClientError as error:
        fail(str(error))
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
