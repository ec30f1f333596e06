"""The FastMCP tool-server component: on, off, and the generator's names.

What `restack g tool-server` writes and registers, its refusals, and the tool commands on
the servers it made (`restack test:tools`, `restack doctor --check-tools`) are checked in
tests/test_generators.py, on the project that holds every kind of generated component:
its service starts them all once there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .helpers import (
    TemplateRepo,
    assert_ok,
    check_project,
    files_of,
    render,
    restack,
    varying_tests,
)


def _has_marker(path: str) -> bool:
    return "tool" in path.lower() or "mcp" in path.lower()


@pytest.mark.slow
def test_without_tools_nothing_of_them_is_rendered(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = render(template_repo, tmp_path / "plain", {"with_tools": False})

    assert [path for path in files_of(project) if _has_marker(path)] == []
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    for dependency in ("fastmcp",):  # ruamel.yaml stays: the prompt registry edits YAML too
        assert dependency not in pyproject
    service = (project / "src/demo_app/service.py").read_text(encoding="utf-8")
    assert "FastMCP" not in service
    help_text = restack(project, "--help").stdout
    assert "test:tools" not in help_text
    check_project(project, varying_tests(project))


def test_tool_server_generator_names_files_after_the_server(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = render(template_repo, tmp_path / "demo-app", {"with_tools": True})

    result = restack(project, "g", "tool-server", "web-search", "--no-autostart")

    assert_ok(result, "g tool-server web-search")
    assert (project / "src/demo_app/tools/web_search_mcp.py").is_file()
    servers = yaml.safe_load((project / "config/tools.yaml").read_text(encoding="utf-8"))
    entry = servers["fastmcp"]["servers"][-1]
    assert (entry["name"], entry["autostart"]) == ("web_search", False)
    assert "restack g tool-server web-search --no-autostart" in (
        project / "src/demo_app/tools/web_search_mcp.py"
    ).read_text(encoding="utf-8")
