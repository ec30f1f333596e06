"""One set of name rules: the Copier filters and the project's `restack g` agree on every name.

The extension loads the project's `common/naming.py` by path; these tests load both the
way their users do (the extension as Copier does, the project module on its own) and
compare them on random text and on the names that broke before.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import copier
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import Environment

from .helpers import TemplateRepo

REPO_ROOT = Path(__file__).resolve().parents[1]
PROJECT_COMMON = REPO_ROOT / "template" / "src" / "{{package_name}}" / "common"
KINDS = ["agent", "workflow", "function", "tool-server", "prompt"]
EDGE_CASES = [
    "",
    "a",
    "9lives",
    "two words",
    "class",
    "match",  # a soft keyword
    "Import",  # becomes the keyword `import`
    "_private",
    "trailing-",
    "double--dash",
    "HTTPServer",
    "ABCDef",
    "research_agent",
    "ResearchAgent",
    "research-agent",
    "agent2",
    "Ärger",
    "straße",
    "ǆemo",
    "a" * 100,
    "a" * 101,
    "a" * 245,
    "a" * 246,
    "a" * 300,
    "Ab" * 60,
]


def _load_extension() -> ModuleType:
    """extensions/naming.py, loaded by file path as copier-template-extensions loads it."""
    spec = importlib.util.spec_from_file_location(
        "_naming_extension_under_test", REPO_ROOT / "extensions" / "naming.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_project_naming() -> ModuleType:
    """The project's common/naming.py, as a module of its own package."""
    package = "_project_common_under_test"
    spec = importlib.util.spec_from_file_location(
        package, PROJECT_COMMON / "__init__.py", submodule_search_locations=[str(PROJECT_COMMON)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    spec.loader.exec_module(module)
    return importlib.import_module(f"{package}.naming")


extension = _load_extension()
project = _load_project_naming()
environment = Environment(extensions=[extension.NamingExtension])
filters: dict[str, Callable[..., Any]] = environment.filters


def _project_component_error(value: str, kind: str) -> str:
    """What `restack g <kind> value` says about a name, as one line ("" when accepted)."""
    try:
        module = project.check_component_name(value, kind)
    except project.InvalidNameError as error:
        return f"{error} {error.fix}"
    assert module == project.snake(value)
    return ""


def _assert_agree(value: str) -> None:
    for name in ("snake", "kebab", "pascal", "constant"):
        assert filters[name](value) == getattr(project, name)(value), (name, value)
    assert environment.from_string("{{ v | snake }}").render(v=value) == project.snake(value)
    for kind in KINDS:
        assert filters["component_name_error"](value, kind) == _project_component_error(
            value, kind
        ), (kind, value)
    assert filters["package_name_error"](value) == project.as_message(
        project.package_name_problem(value)
    )
    assert filters["project_name_error"](value) == project.as_message(
        project.project_name_problem(value)
    )


def test_the_extension_uses_the_projects_rules_not_a_copy() -> None:
    assert extension.naming.__file__ == str(PROJECT_COMMON / "naming.py")
    assert extension.snake is extension.naming.snake


@pytest.mark.parametrize("value", EDGE_CASES)
def test_filters_and_project_agree_on_known_edge_cases(value: str) -> None:
    _assert_agree(value)


@given(st.text(max_size=60))
def test_filters_and_project_agree_on_any_text(value: str) -> None:
    _assert_agree(value)


@given(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}([_-][A-Za-z0-9]{1,12}){0,4}", fullmatch=True))
def test_valid_names_become_modules_the_filters_name_files_after(value: str) -> None:
    _assert_agree(value)
    module = filters["snake"](value)
    if not filters["component_name_error"](value, "agent"):
        assert module.isidentifier()
        assert module == module.lower()
        assert filters["pascal"](value).isidentifier()


@pytest.mark.parametrize("length", [246, 255, 1000])
@pytest.mark.parametrize("kind", KINDS)
def test_long_names_are_refused_in_one_short_line(kind: str, length: int) -> None:
    message = filters["component_name_error"]("a" * length, kind)

    article = "an" if kind == "agent" else "a"
    assert f"({length} characters) is too long for {article} {kind} name" in message
    assert "\n" not in message
    assert len(message) < 120


def test_long_project_name_is_refused_before_anything_is_written(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    destination = tmp_path / "project"

    with pytest.raises(ValueError, match=r"\(246 characters\) is too long for a project name"):
        copier.run_copy(
            str(template_repo.path),
            str(destination),
            data={"project_name": "a" * 246},
            vcs_ref=template_repo.tag,
            defaults=True,
            unsafe=True,
            quiet=True,
        )

    assert not destination.exists()
