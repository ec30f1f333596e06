# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Find every agent, workflow and function in the package, so nothing keeps a hand-made list.

Functions come from `functions/` (the app's) and from each component package's
`functions` module (`llm/functions.py`, `mcp/functions.py`, ...).

Generators only ever add files; the service picks new components up from here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

_PACKAGE = __name__.rsplit(".", 2)[0]


@dataclass
class Components:
    agents: list[type] = field(default_factory=list)
    workflows: list[type] = field(default_factory=list)
    functions: list[Callable[..., Any]] = field(default_factory=list)

    def agent_names(self) -> list[str]:
        return sorted(definition_name(cls) for cls in self.agents)

    def workflow_names(self) -> list[str]:
        return sorted(definition_name(cls) for cls in self.workflows)

    def find_agent(self, name: str) -> type | None:
        return next((cls for cls in self.agents if definition_name(cls) == name), None)

    def find_workflow(self, name: str) -> type | None:
        return next((cls for cls in self.workflows if definition_name(cls) == name), None)


def definition_name(cls: type) -> str:
    """The name an agent or workflow is registered under in the engine."""
    definition = getattr(cls, "__temporal_workflow_definition", None)
    return str(getattr(definition, "name", cls.__name__))


def _modules(subpackage: str) -> Iterator[ModuleType]:
    package = importlib.import_module(f"{_PACKAGE}.{subpackage}")
    yield package
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


def _defined_in(module: ModuleType, marker: str) -> Iterator[Any]:
    for _, obj in inspect.getmembers(module):
        if getattr(obj, "__module__", None) == module.__name__ and hasattr(obj, marker):
            yield obj


def discover(*, functions: bool = True) -> Components:
    """Every agent, workflow and (unless `functions` is False) function of the project.

    Finding an agent or workflow and checking its input, as `restack run:agent` does,
    needs no functions; skipping them spares a client command the import of every
    component's runtime (the tool servers' MCP client above all).
    """
    components = Components()
    for module in _modules("agents"):
        components.agents.extend(_defined_in(module, "__temporal_workflow_definition"))
    for module in _modules("workflows"):
        components.workflows.extend(_defined_in(module, "__temporal_workflow_definition"))
    if functions:
        for module in [*_modules("functions"), *component_modules("functions")]:
            components.functions.extend(_defined_in(module, "__temporal_activity_definition"))
    return components


def component_modules(name: str) -> Iterator[ModuleType]:
    """Module `name` of each component package that has one (`llm.functions`, `mcp.lifespan`).

    Components are the subpackages that a Copier question switches on or off; a project
    generated without one has no such package, so nothing here names them.
    """
    package = importlib.import_module(_PACKAGE)
    # Looked up on disk, not with find_spec, which would import every subpackage (the CLI's too).
    root = Path(next(iter(package.__path__)))
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.ispkg and info.name != name and (root / info.name / f"{name}.py").is_file():
            yield importlib.import_module(f"{_PACKAGE}.{info.name}.{name}")
