"""Fixtures for testing the template: a committed snapshot of it, and rendered projects."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import TemplateRepo, render, snapshot_template

pytest_plugins = ["tests.cpu_report", "pytester"]

REPO_ROOT = Path(__file__).resolve().parents[1]

# Commits made by tests (template snapshots, rendered projects) must not depend on the
# machine's git configuration.
os.environ.update(
    GIT_AUTHOR_NAME="restack-template tests",
    GIT_AUTHOR_EMAIL="tests@restack-template.invalid",
    GIT_COMMITTER_NAME="restack-template tests",
    GIT_COMMITTER_EMAIL="tests@restack-template.invalid",
)
# Generators inside rendered projects must use the snapshot they came from.
os.environ.pop("RESTACK_TEMPLATE_SRC", None)
os.environ.pop("RESTACK_TEMPLATE_REF", None)


@pytest.fixture(scope="session")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateRepo]:
    """The template's working tree, committed and tagged in a throwaway git repository.

    Copier records the template commit in every project; with uncommitted changes it would
    record a commit that exists nowhere, and later generator runs and updates would fail.
    """
    yield snapshot_template(REPO_ROOT, tmp_path_factory.mktemp("template") / "repo")


@pytest.fixture(scope="session", autouse=True)
def shared_mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One mypy cache for every project checked in this session, by every xdist worker.

    A cold mypy run spends most of its time on the dependencies (temporalio, pydantic,
    FastMCP, ...), the same for every rendered project; with a shared cache the check of
    a project takes seconds. mypy trusts a cached module only when its source hash is
    unchanged, so projects with other code under the same module names are re-checked.
    Workers share it safely: mypy replaces each cache file atomically (write, then rename).
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    cache = root / "mypy-cache"
    cache.mkdir(exist_ok=True)
    os.environ["MYPY_CACHE_DIR"] = str(cache)


@pytest.fixture(scope="session")
def rendered(
    template_repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., Path]:
    """`rendered(**answers)`: a project rendered once per session with these answers.

    Only for tests that leave the project as they found it: reading files, commands that
    refuse or report, the project's checks (whose caches git ignores).
    """
    projects: dict[str, Path] = {}

    def get(**data: Any) -> Path:
        key = json.dumps(data, sort_keys=True)
        if key not in projects:
            name = str(data.get("project_name", "demo-app"))
            projects[key] = render(template_repo, tmp_path_factory.mktemp("shared") / name, data)
        return projects[key]

    return get


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Test files with slow tests first, tests/test_generators.py (the all-on project's
    whole suite, the longest test) first of all: on two workers a long test that starts last
    decides when the whole run ends, while short ones fill the gaps at the end. Each
    file's tests stay together and in order, so its module fixtures are made once."""
    slow_files = {
        item.nodeid.partition("::")[0] for item in items if item.get_closest_marker("slow")
    }

    def file_rank(item: pytest.Item) -> tuple[bool, bool]:
        path = item.nodeid.partition("::")[0]
        return path not in slow_files, path != "tests/test_generators.py"

    items.sort(key=file_rank)  # stable: the order within a file is kept
