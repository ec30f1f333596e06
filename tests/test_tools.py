"""The FastMCP tool-server component: on, off, generated servers and the tool commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from .helpers import (
    TemplateRepo,
    answers,
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
def test_tool_servers_generate_register_and_answer(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = render(template_repo, tmp_path / "demo-app", {"with_tools": True})
    before = set(files_of(project))

    assert_ok(restack(project, "g", "tool-server", "Research"), "g tool-server Research")
    assert_ok(
        restack(project, "g", "tool-server", "docs", "--transport", "http"),
        "g tool-server docs --transport http",
    )

    created = sorted(set(files_of(project)) - before)
    assert created == [
        ".copier/tool-server-docs.yml",
        ".copier/tool-server-research.yml",
        "src/demo_app/tools/docs_mcp.py",
        "src/demo_app/tools/research_mcp.py",
        "tests/unit/test_docs_mcp.py",
        "tests/unit/test_research_mcp.py",
    ]
    assert answers(project, ".copier/tool-server-docs.yml")["transport"] == "http"
    config_text = (project / "config/tools.yaml").read_text(encoding="utf-8")
    assert "# A third-party stdio server" in config_text  # comments survive the edit
    servers = yaml.safe_load(config_text)["fastmcp"]["servers"]
    assert [(s["name"], s["module"], s["transport"]) for s in servers] == [
        ("text", "demo_app.tools.text_mcp", "stdio"),
        ("research", "demo_app.tools.research_mcp", "stdio"),
        ("docs", "demo_app.tools.docs_mcp", "http"),
    ]
    assert "/health" in (project / "src/demo_app/tools/docs_mcp.py").read_text(encoding="utf-8")
    assert "/health" not in (project / "src/demo_app/tools/research_mcp.py").read_text(
        encoding="utf-8"
    )

    # Generating a server again changes nothing: the same command again is `identical`
    # (exit 0); a name spelled otherwise, or a stdio server where the http one stands, is
    # a conflict, and a bad name is refused; none of them writes a file.
    snapshot = files_of(project)
    again = restack(project, "g", "tool-server", "Research")
    assert_ok(again, "restack g tool-server Research again")
    assert "identical  src/demo_app/tools/research_mcp.py" in again.stdout
    assert "create" not in again.stdout
    for name in ("research", "2fast"):  # other spelling, other files: refused too
        refused = restack(project, "g", "tool-server", name)
        assert refused.returncode == 2, refused.stdout + refused.stderr
    conflict = restack(project, "g", "tool-server", "docs")
    assert conflict.returncode == 2, conflict.stdout + conflict.stderr
    assert "conflict  src/demo_app/tools/docs_mcp.py" in conflict.stdout, conflict.stdout
    assert "--force" in conflict.stdout + conflict.stderr
    assert files_of(project) == snapshot

    # Every tool of every server answers its sample call; CI can rely on the exit code.
    smoke = restack(project, "test:tools")
    assert_ok(smoke, "test:tools")
    for label in ("text.slugify", "research.extract_urls", "docs.compare_texts"):
        assert label in smoke.stdout
    unknown = restack(project, "test:tools", "--server", "nope")
    assert unknown.returncode == 2
    assert "No tool server named 'nope'" in unknown.stdout + unknown.stderr

    # The doctor does not start servers: the http one is not up yet, which is a note (the
    # service starts it) that says how to start it now.
    doctor = restack(project, "doctor", "--check-tools", "--json")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    checks = {c["name"]: c for c in json.loads(doctor.stdout) if c["section"] == "Tool servers"}
    assert checks["text"]["status"] == "ok" and "slugify" in checks["text"]["detail"]
    assert checks["research"]["status"] == "ok"
    assert checks["docs"]["status"] == "warn"
    assert "`restack test:tools` starts and calls it now" in checks["docs"]["fix"]

    # The new servers' own tests, and the end-to-end ones with a service that starts
    # every server, run with the other generators' outputs in
    # tests/test_generators.py::test_generated_components_pass_the_project_checks.


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
