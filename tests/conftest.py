"""Fixtures for testing the template: a committed snapshot of it, and rendered projects."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .helpers import TemplateRepo, snapshot_template

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
