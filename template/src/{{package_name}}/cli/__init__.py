"""The project's `restack` command: generators, running, diagnostics and upgrades."""

from __future__ import annotations

import typer

from ..common.process import exit_now
from . import generate
from .components import installed_components, register_all
from .doctor import build_doctor
from .reference import docs_cli
from .runtime import dev, run_agent, run_server, run_workflow
from .upgrade import upgrade

app = typer.Typer(
    help="Develop this Restack project: generate components, run them, check the setup.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(generate.app, name="g", help="Generate a component (alias: generate).")
app.add_typer(generate.app, name="generate", hidden=True)
app.command("run:server")(run_server)
app.command("dev")(dev)
app.command("run:agent")(run_agent)
app.command("run:workflow")(run_workflow)
app.command("doctor")(build_doctor(installed_components()))
app.command("upgrade")(upgrade)
app.command("docs:cli", hidden=True)(docs_cli)
register_all(app, generate.app, installed_components())


def main() -> None:
    try:
        app()
    except SystemExit as done:
        exit_now(done.code)
