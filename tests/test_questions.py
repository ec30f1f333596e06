"""Bad answers are refused before anything is written, with a message showing a valid one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import copier
import pytest

from .helpers import TemplateRepo


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"project_name": "Bad Name"}, "not a valid project name"),
        ({"project_name": "1st-project"}, "not a valid project name"),
        ({"project_name": "ok-name", "package_name": "class"}, "Python keyword"),
        ({"project_name": "ok-name", "package_name": "Has-Dash"}, "not a valid package name"),
        ({"project_name": "ok-name", "author_email": "nobody"}, "not an email address"),
        ({"project_name": "ok-name", "python_version": "2.7"}, "2.7"),
    ],
)
def test_invalid_answers_write_nothing(
    template_repo: TemplateRepo, tmp_path: Path, data: dict[str, str], message: str
) -> None:
    destination = tmp_path / "project"

    with pytest.raises(ValueError, match=message):
        copier.run_copy(
            str(template_repo.path),
            str(destination),
            data=data,
            vcs_ref=template_repo.tag,
            defaults=True,
            unsafe=True,
            quiet=True,
        )

    assert not destination.exists()


def test_cli_copy_with_data_needs_no_prompt(template_repo: TemplateRepo, tmp_path: Path) -> None:
    destination = tmp_path / "cli-project"

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--vcs-ref",
            template_repo.tag,
            "--data",
            "project_name=cli-project",
            str(template_repo.path),
            str(destination),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert (destination / "src" / "cli_project" / "agents" / "greeter_agent.py").is_file()


def test_cli_copy_with_data_file_needs_no_prompt(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    data_file = tmp_path / "answers.yml"
    data_file.write_text("project_name: ci-scaffold\nauthor_name: CI\n", encoding="utf-8")
    destination = tmp_path / "ci-scaffold"

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--data-file",
            str(data_file),
            "--defaults",
            "--vcs-ref",
            template_repo.tag,
            str(template_repo.path),
            str(destination),
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "author_name: CI" in (destination / ".copier-answers.yml").read_text(encoding="utf-8")
