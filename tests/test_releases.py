"""Releases: the frozen 1.0.0 template, and what every release must keep true for upgrades."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import copier
import pytest

from .conftest import REPO_ROOT
from .helpers import TemplateRepo, load_migrations

V1 = REPO_ROOT / "tests" / "fixtures" / "template-v1"
V1_HASHES = REPO_ROOT / "tests" / "fixtures" / "template-v1.sha256"
V1_COMMIT = "a125692"
V1_PATHS = ("copier.yml", "extensions", "template", "generators")
# Copier writes these marker lines; an older `restack upgrade` counts every changed file
# that contains one as conflicted, so no template file may contain them.
MARKERS = ("<" * 7 + " before updating", ">" * 7 + " after updating")


def fixture_files() -> dict[str, bytes]:
    return {
        path.relative_to(V1).as_posix(): path.read_bytes()
        for name in V1_PATHS
        for path in sorted((V1 / name).rglob("*") if (V1 / name).is_dir() else [V1 / name])
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_v1_fixture_matches_its_hash_list() -> None:
    listed = dict(
        reversed(line.split("  ", 1)) for line in V1_HASHES.read_text().splitlines() if line
    )
    actual = {name: hashlib.sha256(data).hexdigest() for name, data in fixture_files().items()}

    assert actual == listed


def test_v1_fixture_is_the_release_commit() -> None:
    reachable = subprocess.run(
        ["git", "cat-file", "-e", f"{V1_COMMIT}^{{commit}}"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    if reachable.returncode != 0:
        pytest.skip(f"commit {V1_COMMIT} is not in this clone; the hash list test covers it")
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", V1_COMMIT, *V1_PATHS],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    released = {
        name: subprocess.run(
            ["git", "show", f"{V1_COMMIT}:{name}"], cwd=REPO_ROOT, capture_output=True, check=True
        ).stdout
        for name in listed
    }

    assert fixture_files() == released


def test_no_template_file_contains_conflict_markers() -> None:
    offenders = [
        path.relative_to(REPO_ROOT).as_posix()
        for name in ("template", "generators", "migrations", "extensions", "copier.yml")
        for path in ((REPO_ROOT / name).rglob("*") if (REPO_ROOT / name).is_dir() else [])
        if path.is_file()
        and "__pycache__" not in path.parts
        and any(marker in path.read_text(encoding="utf-8", errors="ignore") for marker in MARKERS)
    ]

    assert offenders == []


def rendered_files(template: Path, destination: Path, data: dict[str, object]) -> set[str]:
    copier.run_copy(
        str(template),
        str(destination),
        data={"project_name": "demo-app", **data},
        defaults=True,
        unsafe=True,
        quiet=True,
        skip_tasks=True,
    )
    return {
        path.relative_to(destination).as_posix()
        for path in destination.rglob("*")
        if path.is_file() and ".git" not in path.parts
    }


def test_every_file_a_release_drops_is_a_registered_move(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """A 1.0.0 file the current release no longer renders would vanish with its edits."""
    migrate = load_migrations()
    moved = {
        step.source.format(package="demo_app")
        for steps in migrate.MIGRATIONS.values()
        for step in steps
        if isinstance(step, migrate.Move)
    }
    old = rendered_files(V1, tmp_path / "v1", {})
    off = {"with_llm": False, "with_tools": False, "with_prompts": False}
    new = rendered_files(template_repo.path, tmp_path / "new", off)

    assert sorted(old - new - {".copier-answers.yml"}) == sorted(moved)
