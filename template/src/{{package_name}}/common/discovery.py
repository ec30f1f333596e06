"""Find every agent, workflow and function in the package, so nothing keeps a hand-made list.

Generators only ever add files; the service picks new components up from here.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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


def discover() -> Components:
    components = Components()
    for module in _modules("agents"):
        components.agents.extend(_defined_in(module, "__temporal_workflow_definition"))
    for module in _modules("workflows"):
        components.workflows.extend(_defined_in(module, "__temporal_workflow_definition"))
    for module in _modules("functions"):
        components.functions.extend(_defined_in(module, "__temporal_activity_definition"))
    return components
