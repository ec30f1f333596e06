"""Jinja filters that turn user-supplied names into Python names and paths, and validate answers.

Loaded by Copier through copier-template-extensions (see ``_jinja_extensions`` in
``copier.yml``). The naming rules themselves live in the generated project's
``common/naming.py``, which its ``restack`` command uses to check a name before it calls
Copier; this extension loads that same file by path, so both always agree.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

from jinja2 import Environment
from jinja2.ext import Extension

_COMMON = Path(__file__).resolve().parents[1] / "template" / "src" / "{{package_name}}" / "common"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _load_project_naming() -> ModuleType:
    """The project's `common/naming.py`, imported under a private package name.

    It imports `.errors` beside it, so `common/` is loaded as a package of its own. The
    package is loaded afresh on every call: `copier update` renders two template versions
    in one process, and each must use its own rules.
    """
    package = "_restack_template_common"
    for name in [name for name in sys.modules if name.split(".")[0] == package]:
        del sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        package, _COMMON / "__init__.py", submodule_search_locations=[str(_COMMON)]
    )
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the naming rules from {_COMMON}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    spec.loader.exec_module(module)
    return importlib.import_module(f"{package}.naming")


naming = _load_project_naming()

words = naming.words
snake = naming.snake
kebab = naming.kebab
pascal = naming.pascal
constant = naming.constant


def project_name_error(value: str) -> str:
    """An error message for an invalid project name, or "" when it is valid."""
    return str(naming.as_message(naming.project_name_problem(value)))


def package_name_error(value: str) -> str:
    """An error message for an invalid Python package name, or "" when it is valid."""
    return str(naming.as_message(naming.package_name_problem(value)))


def component_name_error(value: str, kind: str = "component") -> str:
    """An error message for an invalid generator name, or "" when it is valid."""
    return str(naming.as_message(naming.component_name_problem(value, kind)))


def email_error(value: str) -> str:
    """An error message for an invalid email address, or "" when it is valid."""
    if not _EMAIL.match(str(value)):
        return f"'{value}' is not an email address (expected something like ada@example.com)."
    return ""


class NamingExtension(Extension):
    """Registers the naming filters and validators with Copier's Jinja environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(
            snake=snake,
            kebab=kebab,
            pascal=pascal,
            constant=constant,
            project_name_error=project_name_error,
            package_name_error=package_name_error,
            component_name_error=component_name_error,
            email_error=email_error,
        )
