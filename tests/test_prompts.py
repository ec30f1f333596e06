"""The prompt registry component: on by default, all of it; off, none of it."""

from __future__ import annotations

import json
from collections.abc import Callable
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

PROMPT_FILES = {
    "config/prompts.yaml",
    "docs/prompts.md",
    "prompts/summarize/v1.0.0.md",
    "src/demo_app/common/prompt_loader.py",
    "src/demo_app/prompts/__init__.py",
    "src/demo_app/prompts/cli.py",
    "src/demo_app/prompts/errors.py",
    "src/demo_app/prompts/format.py",
    "src/demo_app/prompts/functions.py",
    "src/demo_app/prompts/loader.py",
    "src/demo_app/prompts/metrics.py",
    "src/demo_app/prompts/reference.py",
    "src/demo_app/prompts/scaffold.py",
    "src/demo_app/prompts/versions.py",
    "tests/prompts/test_prompt_cli.py",
    "tests/prompts/test_prompt_format.py",
    "tests/prompts/test_prompt_loader.py",
    "tests/prompts/test_prompt_reference.py",
    "tests/prompts/test_prompt_versions.py",
}


def prompt_paths(project: Path) -> set[str]:
    return {name for name in files_of(project) if "prompt" in name}


def test_prompts_are_on_by_default(rendered: Callable[..., Path]) -> None:
    project = rendered()

    assert answers(project)["with_prompts"] is True
    assert prompt_paths(project) == PROMPT_FILES
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert '"semver>=' in pyproject
    assert '"ruamel.yaml>=' in pyproject
    registry = yaml.safe_load((project / "config/prompts.yaml").read_text(encoding="utf-8"))
    assert registry["prompts"]["summarize"]["latest"] == "1.0.0"
    assert not (project / "prompts" / "analyze_research").exists()


def test_prompts_off_leaves_nothing_behind(rendered: Callable[..., Path]) -> None:
    project = rendered(with_prompts=False)

    assert prompt_paths(project) == set()
    pyproject = (project / "pyproject.toml").read_text(encoding="utf-8")
    assert "semver" not in pyproject
    assert "ruamel" in pyproject  # the tool registry (on here) edits YAML too
    neither = rendered(with_prompts=False, with_tools=False)
    assert "ruamel" not in (neither / "pyproject.toml").read_text(encoding="utf-8")
    result = restack(project, "doctor", "--check-prompts")
    assert result.returncode == 2
    assert "No such option" in result.stderr


@pytest.mark.slow
def test_prompts_off_project_passes_its_checks(rendered: Callable[..., Path]) -> None:
    project = rendered(with_prompts=False)
    check_project(project, varying_tests(project))


@pytest.mark.slow
def test_acceptance_flow_generate_check_show(template_repo: TemplateRepo, tmp_path: Path) -> None:
    """Spec acceptance step 4, then doctor and show on the result, and an agent that uses it."""
    project = render(template_repo, tmp_path / "research-agent")

    created = restack(project, "g", "prompt", "analyze-research", "--version", "1.0.0")
    assert_ok(created, "restack g prompt analyze-research")
    assert "prompts/analyze_research/v1.0.0.md" in created.stdout
    assert (project / "prompts/analyze_research/v1.0.0.md").is_file()

    (project / "prompts/analyze_research/v1.0.0.md").write_text(
        "---\nversion: 1.0.0\ninputs: [topic]\n---\nAnalyze {topic} in depth.\n",
        encoding="utf-8",
    )
    second = restack(project, "g", "prompt", "analyze_research", "--version", "1.1.0")
    assert_ok(second, "restack g prompt analyze_research --version 1.1.0")
    assert "Analyze {topic} in depth." in (
        project / "prompts/analyze_research/v1.1.0.md"
    ).read_text(encoding="utf-8")

    again = restack(project, "g", "prompt", "analyze-research", "--version", "1.1.0")
    assert_ok(again, "the same generator run again")
    assert "identical  prompts/analyze_research/v1.1.0.md" in again.stdout
    published = project / "prompts/analyze_research/v1.1.0.md"
    published.write_text(published.read_text(encoding="utf-8") + "Cite sources.\n", "utf-8")
    refused = restack(project, "g", "prompt", "analyze-research", "--version", "1.1.0")
    assert refused.returncode == 2
    assert "already has version 1.1.0" in " ".join(refused.stdout.split())
    assert "Cite sources." in published.read_text(encoding="utf-8")

    shown = restack(project, "prompts", "show", "analyze_research", "--version", "1.0")
    assert_ok(shown, "restack prompts show")
    assert "analyze_research 1.0 -> 1.0.0" in shown.stdout

    doctor = restack(project, "doctor", "--json", "--check-prompts")
    rows = json.loads(doctor.stdout)
    assert [c for c in rows if c["status"] == "fail"] == [], rows
    assert doctor.returncode == 0, doctor.stderr
    checks = [c for c in rows if c["section"] == "Prompts"]
    assert {c["name"]: c["status"] for c in checks} == {
        "registry": "ok",
        "analyze_research": "ok",
        "summarize": "ok",
    }

    # An agent instructed by a prompt takes its placeholders as input fields, described
    # as the prompt's frontmatter describes them; its generated end-to-end test (run
    # below with tests/e2e) fills them.
    agent = restack(project, "g", "agent", "Digest", "--prompt", "summarize")
    assert_ok(agent, "restack g agent Digest --prompt summarize")
    source = (project / "src/demo_app/agents/digest.py").read_text(encoding="utf-8")
    assert 'text: str = Field(\n        description="The text to summarize",' in source
    assert "audience: str = Field(" in source
    assert "topic: str" not in source  # LLMAgentInput has it already
    assert answers(project, ".copier/agent-digest.yml")["prompt_inputs"] == {
        "text": "The text to summarize",
        "audience": 'Who will read the summary (e.g. "engineers", "a busy executive")',
    }

    # Digest's end-to-end test, with the tests that read the prompt registry, runs with
    # the other generators' outputs in
    # tests/test_generators.py::test_generated_components_pass_the_project_checks.
