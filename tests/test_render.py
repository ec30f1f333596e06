"""Rendered projects pass their own lint, format, type checks and tests."""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

from .helpers import (
    TemplateRepo,
    _one_mypy_at_a_time,
    answers,
    check_project,
    files_of,
    git,
    render,
)

MATRIX = [
    # All components on: lint, format and types of the project as rendered. Its whole
    # suite runs in tests/test_generators.py, once every generator has added to it.
    pytest.param({"project_name": "demo-app"}, (), id="demo-app"),
    # Other names: what changes is rendered names, which ruff and mypy check; its tests
    # are the all-on project's.
    pytest.param(
        {
            "project_name": "research-agent",
            "package_name": "research",
            "description": "Research agents",
            "author_name": "Ada Lovelace",
            "author_email": "ada@example.org",
        },
        (),
        id="research-agent",
    ),
    # Every optional component off: the v1-sized project, on the newest Python. mypy
    # checks the dependencies once more for that version, and this project has the
    # fewest (16 CPU seconds cold against 26 for one with every component).
    pytest.param(
        {
            "project_name": "x2",
            "python_version": "3.13",
            "with_llm": False,
            "with_tools": False,
            "with_prompts": False,
        },
        ("tests",),
        id="x2",
    ),
]


@pytest.mark.slow
@pytest.mark.parametrize(("data", "tests"), MATRIX)
def test_rendered_project_passes_its_own_checks(
    rendered: Callable[..., Path], data: dict[str, Any], tests: tuple[str, ...]
) -> None:
    check_project(rendered(**data), tests)


def test_answers_file_records_every_project_answer(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = render(template_repo, tmp_path / "p", {"project_name": "my-agents"})

    recorded = answers(project)
    assert recorded["package_name"] == "my_agents"
    assert recorded["python_version"] == "3.11"
    assert recorded["_commit"] == template_repo.tag
    assert "kind" not in recorded  # the project is the default kind
    assert (project / "src" / "my_agents" / "service.py").is_file()


def test_renders_of_the_same_answers_are_projects_of_their_own(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """`render` copies an earlier render of the same answers: the copy must not share
    anything with it, and other answers must still render anew."""
    first = render(template_repo, tmp_path / "first")
    shipped = files_of(first)
    (first / "README.md").write_text("edited\n", encoding="utf-8")
    git(first, "commit", "--quiet", "-am", "Edit the README")

    second = render(template_repo, tmp_path / "second")
    other = render(template_repo, tmp_path / "other", {"project_name": "other-app"})

    assert files_of(second) == shipped
    assert git(second, "status", "--porcelain") == ""
    assert git(second, "log", "--format=%s").splitlines() == ["Generate project"]
    assert (other / "src" / "other_app").is_dir()
    assert not (other / "src" / "demo_app").exists()


def test_skipping_copiers_git_mode_sync_changes_no_file_or_mode(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """`render` skips Copier's per-file `git config core.fileMode` call; a render made with
    the call must be the same, file for file and mode for mode."""
    with_call = tmp_path / "with-call"
    copier.run_copy(
        str(template_repo.path),
        str(with_call),
        data={"project_name": "demo-app"},
        vcs_ref=template_repo.tag,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    skipped = render(template_repo, tmp_path / "skipped", commit=False)

    def modes(project: Path) -> dict[str, int]:
        return {
            path.relative_to(project).as_posix(): path.stat().st_mode
            for path in project.rglob("*")
            if path.is_file() and ".git" not in path.relative_to(project).parts
        }

    assert files_of(skipped) == files_of(with_call)
    assert modes(skipped) == modes(with_call)
    assert len(modes(with_call)) > 100  # the whole project, not an empty folder


def test_answers_file_driven_copy_needs_no_prompt(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    import copier

    data_file = tmp_path / "answers.yml"
    data_file.write_text(
        yaml.safe_dump({"project_name": "from-file", "python_version": "3.12"}), encoding="utf-8"
    )
    destination = tmp_path / "from-file"

    copier.run_copy(
        str(template_repo.path),
        str(destination),
        data=yaml.safe_load(data_file.read_text(encoding="utf-8")),
        vcs_ref=template_repo.tag,
        defaults=True,
        unsafe=True,
        quiet=True,
    )

    recorded = answers(destination)
    assert (recorded["project_name"], recorded["python_version"]) == ("from-file", "3.12")


def test_rendered_project_is_a_git_repository(template_repo: TemplateRepo, tmp_path: Path) -> None:
    project = render(template_repo, tmp_path / "p", commit=False)

    assert (project / ".git").is_dir()
    assert not list(project.rglob("*.jinja"))
    assert not list(project.rglob("__pycache__"))


def test_containers_are_private_and_unprivileged_by_default(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = render(template_repo, tmp_path / "p", commit=False)

    compose = yaml.safe_load((project / "docker-compose.yml").read_text(encoding="utf-8"))
    ports = compose["services"]["restack"]["ports"]
    assert ports and all(p.startswith("${RESTACK_BIND_ADDRESS:-127.0.0.1}:") for p in ports)
    dockerfile = (project / "Dockerfile").read_text(encoding="utf-8").splitlines()
    users = [line.split()[1] for line in dockerfile if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert dockerfile.index(f"USER {users[-1]}") < next(
        i for i, line in enumerate(dockerfile) if line.startswith("CMD ")
    )


def test_one_mypy_check_per_python_version_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_project's lock on the shared mypy cache: held per Python version, and let go
    when the check fails."""

    def free(version: str) -> bool:
        with open(tmp_path / f".lock-{version}", "w") as other:
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    monkeypatch.setenv("MYPY_CACHE_DIR", str(tmp_path))
    with _one_mypy_at_a_time("3.11"):
        held = (free("3.11"), free("3.13"))
    with pytest.raises(RuntimeError), _one_mypy_at_a_time("3.11"):
        raise RuntimeError("mypy failed")

    assert held == (False, True)
    assert free("3.11")
    monkeypatch.delenv("MYPY_CACHE_DIR")
    with _one_mypy_at_a_time("3.12"):  # no shared cache: nothing to share, no lock file
        pass
    assert not (tmp_path / ".lock-3.12").exists()
