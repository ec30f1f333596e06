"""`restack upgrade` carries template releases into projects without losing user edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import REPO_ROOT
from .helpers import (
    TEMPLATE_PATHS,
    TemplateRepo,
    answers,
    assert_ok,
    check_project,
    files_of,
    git,
    release_history,
    render,
    restack,
    template_version,
)

V1 = REPO_ROOT / "tests" / "fixtures" / "template-v1"
CURRENT = f"v{template_version(REPO_ROOT)}"

GREETER = "src/demo_app/agents/greeter_agent.py"
PLANNER = "src/demo_app/agents/planner.py"
USER_MODULE = "src/demo_app/common/house_rules.py"
GREETER_EDIT = (
    "\n    def describe(self) -> str:\n"
    "        return f\"Greeter for {self.name or 'nobody yet'}\"\n"
)
PLANNER_EDIT = '\n    def summary(self) -> str:\n        return f"{len(self.transcript)} turns"\n'


def append(project: Path, relative: str, text: str) -> None:
    path = project / relative
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def v1_project_with_edits(template: TemplateRepo, destination: Path) -> Path:
    """A project made with 1.0.0, grown with a generator, and edited by its user."""
    project = render(template, destination, vcs_ref="v1.0.0")
    assert answers(project)["_commit"] == "v1.0.0"
    assert_ok(restack(project, "g", "agent", "Planner"), "restack g agent Planner (1.0.0)")
    append(project, GREETER, GREETER_EDIT)
    append(project, PLANNER, PLANNER_EDIT)
    (project / USER_MODULE).write_text('"""Our own module."""\n\nLIMIT = 3\n', encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Our agents")
    return project


@pytest.fixture
def history(tmp_path: Path) -> TemplateRepo:
    return release_history(tmp_path / "template", [(V1, "v1.0.0"), (REPO_ROOT, CURRENT)])


@pytest.mark.slow
def test_upgrade_from_v1_keeps_user_edits(history: TemplateRepo, tmp_path: Path) -> None:
    project = v1_project_with_edits(history, tmp_path / "demo-app")
    user_module = (project / USER_MODULE).read_text(encoding="utf-8")

    result = restack(project, "upgrade")

    assert_ok(result, "restack upgrade")
    assert answers(project)["_commit"] == CURRENT
    assert answers(project, ".copier/agent-planner.yml")["_commit"] == CURRENT
    assert GREETER_EDIT in (project / GREETER).read_text(encoding="utf-8")
    assert PLANNER_EDIT in (project / PLANNER).read_text(encoding="utf-8")
    assert (project / USER_MODULE).read_text(encoding="utf-8") == user_module
    assert git(project, "status", "--porcelain") == ""
    log = git(project, "log", "--format=%s")
    assert f"restack upgrade: .copier-answers.yml v1.0.0 -> {CURRENT}" in log
    assert f"restack upgrade: .copier/agent-planner.yml v1.0.0 -> {CURRENT}" in log
    check_project(project)


def test_upgrade_refuses_a_dirty_tree(history: TemplateRepo, tmp_path: Path) -> None:
    project = render(history, tmp_path / "demo-app", vcs_ref="v1.0.0")
    append(project, GREETER, "# work in progress\n")
    before = files_of(project)

    result = restack(project, "upgrade")

    assert result.returncode == 1
    assert "uncommitted changes" in result.stderr
    assert "Commit or stash" in result.stderr
    assert files_of(project) == before
    assert answers(project)["_commit"] == "v1.0.0"


def test_conflicts_stop_the_upgrade_and_it_resumes_after_resolving(
    tmp_path: Path,
) -> None:
    # A next release changes a line that the user also changed.
    next_source = tmp_path / "next-source"
    for name in TEMPLATE_PATHS:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, next_source / name)
        else:
            next_source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, next_source / name)
    service = next_source / "template/src/{{package_name}}/service.py"
    service.write_text(
        service.read_text(encoding="utf-8").replace(
            'log.info("service_stopping")', 'log.info("service_stopping", reason="signal")'
        ),
        encoding="utf-8",
    )
    history = release_history(
        tmp_path / "template", [(REPO_ROOT, CURRENT), (next_source, "v99.0.0")]
    )
    project = render(history, tmp_path / "demo-app", vcs_ref=CURRENT)
    assert_ok(restack(project, "g", "function", "fetch_weather"), "restack g function")
    service_py = project / "src/demo_app/service.py"
    service_py.write_text(
        service_py.read_text(encoding="utf-8").replace(
            'log.info("service_stopping")', 'log.info("service_stopping", by="operator")'
        ),
        encoding="utf-8",
    )
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Our log line")

    first = restack(project, "upgrade")

    assert first.returncode == 1
    assert "src/demo_app/service.py" in first.stdout
    text = service_py.read_text(encoding="utf-8")
    assert "<<<<<<< before updating" in text
    assert 'by="operator"' in text and 'reason="signal"' in text
    assert answers(project, ".copier/function-fetch_weather.yml")["_commit"] == CURRENT

    # The user keeps both changes, commits, and runs the upgrade again.
    resolved = [
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith(("<<<<<<<", "=======", ">>>>>>>")) and 'by="operator"' not in line
    ]
    service_py.write_text("".join(resolved), encoding="utf-8")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Resolve the upgrade conflict")
    second = restack(project, "upgrade")

    assert_ok(second, "restack upgrade after resolving")
    assert answers(project)["_commit"] == "v99.0.0"
    assert answers(project, ".copier/function-fetch_weather.yml")["_commit"] == "v99.0.0"
    assert 'reason="signal"' in service_py.read_text(encoding="utf-8")
