# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Optional components (LLM router, tool servers, prompts) plug into the `restack` command.

Each component package has a `cli` module with a `COMPONENT` describing its commands and
its `restack doctor` checks. A project generated without a component simply lacks its
package, so the CLI only ever lists what is there: nothing here names a component.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import typer

from .checks import CheckGroup
from .console import errors

_PACKAGE = __name__.split(".")[0]


@dataclass(frozen=True)
class Component:
    name: str
    """The component's package, e.g. `llm`."""
    title: str
    """What it is called in messages, e.g. "the LLM router"."""
    answer: str
    """The Copier question that turns it on, e.g. `with_llm`."""
    check_flag: str
    """The `restack doctor` flag that adds its checks, e.g. `--check-llm`."""
    check_help: str
    checks: CheckGroup
    register: Callable[[typer.Typer, typer.Typer], None]
    """Add the component's commands to `restack` and its generators to `restack g`."""
    check_references: Callable[[list[str], bool], None] | None = None
    """Refuse names an agent would use that the component does not know (tool servers,
    prompts); the flag says whether it may create a missing one (not under --pretend)."""
    agent_fields: Callable[[str], dict[str, str]] | None = None
    """The input fields an agent using this reference needs (name -> description), e.g.
    the placeholders of a prompt beyond the agent's own `topic`."""
    preflight: Callable[[], None] | None = None
    """Before the service starts (`restack dev`, `run:server`): load the component's
    configuration and exit with a one-line error if the service could not use it."""


def _has_cli_module(search_path: Iterable[str], subpackage: str) -> bool:
    return any((Path(root) / subpackage / "cli.py").is_file() for root in search_path)


@cache
def installed_components() -> tuple[Component, ...]:
    """Every component whose package this project has, in name order."""
    package = importlib.import_module(_PACKAGE)
    found: list[Component] = []
    unusable: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        # Looked up on disk: find_spec would import the subpackage, and a package without
        # a cli.py (testing/, common/) may need a dependency the environment lacks yet.
        if not info.ispkg or not _has_cli_module(package.__path__, info.name):
            continue
        try:
            module = importlib.import_module(f"{_PACKAGE}.{info.name}.cli")
        except ModuleNotFoundError as error:
            if (error.name or "").partition(".")[0] == _PACKAGE:
                raise
            # The project gained this component after it was installed (an upgrade):
            # every other command still works, and its own commands say what to do.
            unusable[info.name] = str(error.name)
            continue
        component = getattr(module, "COMPONENT", None)
        if isinstance(component, Component):
            found.append(component)
    if unusable:
        errors.print(
            f"[yellow]warning:[/] components {', '.join(unusable)} need packages this "
            f"environment lacks ({', '.join(unusable.values())}): reinstall the project with "
            "pip install -e '.\\[dev]'",
            highlight=False,
        )
    return tuple(found)


def find_component(answer: str) -> Component | None:
    """The installed component switched on by the Copier question `answer`, if any."""
    return next((c for c in installed_components() if c.answer == answer), None)


def register_all(
    app: typer.Typer, generators: typer.Typer, components: Iterable[Component]
) -> None:
    for component in components:
        component.register(app, generators)
