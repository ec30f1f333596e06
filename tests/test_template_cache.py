"""Generators and `restack upgrade` in a project made from a remote template: they render
from a local mirror, so they keep working offline, and the answers files keep the
remote's URL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import copier
import pytest

from .helpers import TemplateRepo, answers, assert_ok, files_of, git, restack


def test_generators_render_from_a_mirror_of_a_remote_template(
    template_repo: TemplateRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote.git"  # stands in for gh:org/restack-template
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(template_repo.path), str(remote)], check=True
    )
    url = remote.as_uri()
    cache = tmp_path / "cache"
    monkeypatch.setenv("RESTACK_TEMPLATE_CACHE", str(cache))
    project = tmp_path / "demo-app"
    copier.run_copy(
        url,
        str(project),
        data={"project_name": "demo-app"},
        vcs_ref=template_repo.tag,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Generate project")

    # A newer release, on the remote before the mirror is made (so the mirror has it).
    release = _next_patch(template_repo.tag)
    work = tmp_path / "release"
    git(tmp_path, "clone", "--quiet", str(remote), str(work))
    index = work / "template/docs/index.md"
    index.write_text(index.read_text(encoding="utf-8") + f"\n{RELEASE_NOTE}\n", "utf-8")
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "Patch")
    git(work, "tag", release)
    git(work, "push", "--quiet", "origin", release)

    first = restack(project, "g", "function", "send_report")
    assert_ok(first, "restack g function (clones the mirror)")
    (mirror,) = cache.iterdir()
    assert mirror.name.startswith("remote-") and mirror.name.endswith(".git")
    assert answers(project, ".copier/function-send_report.yml")["_src_path"] == url

    # The remote out of reach: the next generators render from the mirror alone.
    remote.rename(tmp_path / "moved.git")
    offline = restack(project, "g", "agent", "Planner")
    assert_ok(offline, "restack g agent with the remote unreachable")
    assert (project / "src/demo_app/agents/planner.py").is_file()
    assert answers(project, ".copier/agent-planner.yml")["_src_path"] == url
    again = restack(project, "g", "agent", "Planner")
    assert_ok(again, "the same generator again")
    assert "identical  .copier/agent-planner.yml" in again.stdout

    # A release the mirror lacks needs the remote: one error with its fix, nothing written.
    before = files_of(project)
    monkeypatch.setenv("RESTACK_TEMPLATE_REF", "v9.9.9")
    missing = restack(project, "g", "function", "archive")
    assert missing.returncode == 1, missing.stdout + missing.stderr
    error, fix = missing.stderr.strip().splitlines()
    assert error.startswith(f"error: Could not fetch the template from {url}: ")
    assert fix.startswith("fix: Check the network")
    assert files_of(project) == before
    assert [path.name for path in cache.iterdir()] == [mirror.name]  # no half clone left

    # An upgrade with the remote still out of reach: the new release comes from the
    # mirror, the old one (for the three-way merge) too, and the URL stays recorded.
    monkeypatch.delenv("RESTACK_TEMPLATE_REF")
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Generated components")
    upgraded = restack(project, "upgrade")
    assert_ok(upgraded, "restack upgrade with the remote unreachable")
    assert answers(project)["_commit"] == release
    assert answers(project)["_src_path"] == url
    assert answers(project, ".copier/agent-planner.yml")["_commit"] == release
    assert RELEASE_NOTE in (project / "docs/index.md").read_text(encoding="utf-8")
    assert git(project, "status", "--porcelain") == ""


RELEASE_NOTE = "A line only the patch release has."


def _next_patch(tag: str) -> str:
    major, minor, patch = tag.removeprefix("v").split(".")[:3]
    return f"v{major}.{minor}.{int(patch) + 1}"
