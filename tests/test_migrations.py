"""The template's migration script: moved files keep their edits, answers files are checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.version import Version

from .conftest import REPO_ROOT
from .helpers import git, load_migrations

V1_TESTING = REPO_ROOT / "tests/fixtures/template-v1/template/src/{{package_name}}/testing.py"
V2_TESTING = REPO_ROOT / "template/src/{{package_name}}/testing/__init__.py"
SOURCE = "src/demo_app/testing.py"
TARGET = "src/demo_app/testing/__init__.py"
MARKER = "<" * 7 + " before updating"


@pytest.fixture
def migrate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script, reading the 1.0.0 template from a small repository tagged v1.0.0."""
    module = load_migrations()
    template = tmp_path / "template"
    original = template / "template/src/{{package_name}}/testing.py"
    original.parent.mkdir(parents=True)
    original.write_bytes(V1_TESTING.read_bytes())
    (template / "copier.yml").write_bytes((REPO_ROOT / "copier.yml").read_bytes())
    git(template, "init", "--quiet")
    git(template, "add", "-A")
    git(template, "commit", "--quiet", "-m", "1.0.0")
    git(template, "tag", "v1.0.0")
    monkeypatch.setattr(module, "TEMPLATE_ROOT", template)
    return module


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 1.0.0 project whose testing.py the user edited, right after Copier rendered 2.0.0."""
    root = tmp_path / "project"
    (root / "src/demo_app").mkdir(parents=True)
    (root / SOURCE).write_text(
        V1_TESTING.read_text() + '\n\ndef engine_address(port: int) -> str:\n    return "x"\n'
    )
    git(root, "init", "--quiet")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "ours")
    # What `copier update` leaves: the old file deleted, the new one rendered.
    (root / SOURCE).unlink()
    (root / TARGET).parent.mkdir(parents=True)
    (root / TARGET).write_bytes(V2_TESTING.read_bytes())
    monkeypatch.chdir(root)
    return root


def update(migrate: ModuleType, stage: str = "after", **changes: Any) -> Any:
    answers = {"package_name": "demo_app", "project_name": "demo-app"}
    fields: dict[str, Any] = {
        "stage": stage,
        "answers_file": Path(".copier-answers.yml"),
        "answers": answers,
        "version_from": Version("1.0.0"),
        "version_to": Version("2.0.0"),
        "commit_from": "v1.0.0",
        "commit_to": "v2.0.0",
        "data": {},
    }
    fields.update(changes)
    return migrate.Update(**fields)


def test_edits_to_a_moved_file_are_merged_into_its_new_place(
    migrate: ModuleType, project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    migrate.run(update(migrate))

    merged = (project / TARGET).read_text()
    assert "def engine_address(port: int)" in merged
    assert "from ..common.settings import EngineSettings" in merged  # the release's change
    assert MARKER not in merged
    assert not (project / SOURCE).exists()
    assert f"moves {SOURCE} to {TARGET}; your edits were merged" in capsys.readouterr().err

    migrate.run(update(migrate))  # idempotent

    assert (project / TARGET).read_text() == merged


def test_clashing_edits_to_a_moved_file_become_conflicts(
    migrate: ModuleType, project: Path
) -> None:
    ours = git(project, "show", f"HEAD:{SOURCE}").replace(
        "from .common.settings import", "from .common.settings import  # ours\n"
    )
    (project / SOURCE).write_text(ours)
    git(project, "commit", "--quiet", "-am", "clash")
    (project / SOURCE).unlink()

    migrate.run(update(migrate))

    merged = (project / TARGET).read_text()
    assert MARKER in merged and "# ours" in merged
    assert migrate.conflicted_files(project) == [TARGET]


def test_an_unedited_moved_file_is_left_to_copier(migrate: ModuleType, project: Path) -> None:
    (project / SOURCE).write_bytes(V1_TESTING.read_bytes())
    git(project, "commit", "--quiet", "-am", "pristine")
    (project / SOURCE).unlink()

    migrate.run(update(migrate))

    assert (project / TARGET).read_bytes() == V2_TESTING.read_bytes()


def test_a_move_that_cannot_merge_stops_and_keeps_the_users_file(
    migrate: ModuleType, project: Path
) -> None:
    with pytest.raises(migrate.MigrationError, match=f"moves {SOURCE} to {TARGET}") as stop:
        migrate.run(update(migrate, commit_from="v0.9.0"))  # no such release

    assert "Your version is back at" in str(stop.value)
    assert "def engine_address" in (project / SOURCE).read_text()


def test_components_of_new_releases_stay_off_in_old_projects(
    migrate: ModuleType, project: Path
) -> None:
    answers_file = project / ".copier-answers.yml"
    answers_file.write_text("_commit: v1.0.0\npackage_name: demo_app\n")
    first = update(migrate, stage="before", answers=migrate.load_answers(answers_file))

    migrate.run(first)
    migrate.run(update(migrate, stage="before", answers=migrate.load_answers(answers_file)))

    written = migrate.load_answers(answers_file)
    assert [written[f"with_{c}"] for c in ("llm", "tools", "prompts")] == [False] * 3
    assert answers_file.read_text().count("with_llm") == 1


@pytest.mark.parametrize(
    ("answers", "data", "message"),
    [
        ({"with_toolz": True}, {}, "unknown answer 'with_toolz'"),
        ({"with_tools": "maybe"}, {}, "with_tools must be true or false, not 'maybe'"),
        ({"with_tools": "yes"}, {}, "with_tools must be true or false, not 'yes'"),
        ({"with_tools": True}, {"with_llm": "flase"}, "--data: with_llm must be true or false"),
        ({"with_tools": True}, {"colour": "red"}, "--data: unknown answer 'colour'"),
    ],
)
def test_answers_typos_stop_the_update(
    migrate: ModuleType, answers: dict[str, Any], data: dict[str, Any], message: str
) -> None:
    full = {"package_name": "demo_app", "_commit": "v2.0.0", **answers}
    same = {"version_from": Version("2.0.0"), "commit_from": "v2.0.0"}

    with pytest.raises(migrate.MigrationError, match=message):
        migrate.run(update(migrate, stage="before", answers=full, data=data, **same))

    good = {"package_name": "demo_app", "with_tools": False}
    migrate.run(update(migrate, stage="before", answers=good, data={"with_llm": "true"}, **same))


def test_the_script_refuses_with_one_line(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_text("_commit: v2.0.0\nwith_tools: maybe\n")
    env = {
        **os.environ,
        "STAGE": "before",
        "VERSION_FROM": "v2.0.0",
        "VERSION_TO": "v2.0.0",
        "VERSION_PEP440_FROM": "2.0.0",
        "VERSION_PEP440_TO": "2.0.0",
    }

    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "migrations/migrate.py"), ".copier/-.yml", "{}"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: .copier-answers.yml: with_tools must be true or false, not 'maybe'; "
        "correct or delete that line and commit."
    ]
