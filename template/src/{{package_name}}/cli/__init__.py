# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The project's `restack` command: generators, running, diagnostics and upgrades."""

from __future__ import annotations

import typer

from ..common.process import end_on_signals, exit_now
from ..common.settings import load_env
from . import generate
from .components import installed_components, register_all
from .console import ReportingGroup, errors
from .doctor import build_doctor
from .reference import docs_cli
from .runtime import dev, run_agent, run_server, run_workflow
from .upgrade import REINSTALL, register_missing_components, upgrade, warn_about_conflicts

app = typer.Typer(
    cls=ReportingGroup,
    help="Develop this Restack project: generate components, run them, check the setup.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def _before_every_command() -> None:
    load_env()


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
register_missing_components(app, generate.app, {c.answer for c in installed_components()})


def main() -> None:
    # First, so that a Ctrl-C while a command loads what it needs is never lost.
    end_on_signals()
    warn_about_conflicts()
    try:
        app()
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] == __package__.partition(".")[0]:
            raise
        # The project changed (an upgrade, a new component) since it was installed.
        errors.print(
            f"[bold red]error:[/] {error}: this environment lacks a package the project "
            f"needs.\n[bold]fix:[/] Reinstall the project: {REINSTALL}",
            highlight=False,
        )
        exit_now(1)
    except SystemExit as done:
        exit_now(done.code)
