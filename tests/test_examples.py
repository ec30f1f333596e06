"""The example projects of `examples/`: well-formed, all rendered by CI, and the research
agent run end to end by the test suite.

The research agent runs end to end through the docs: `docs/getting-started.md` renders it
from its answers file, runs its `steps.sh`, starts `restack dev` and runs the agent, and
`tests/test_docs.py` executes that page and compares the agent's output. CI
(`.github/workflows/examples.yml`) renders every example and runs its project's checks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from .conftest import REPO_ROOT
from .docs_support import shell_blocks

EXAMPLES = sorted(p.parent.name for p in (REPO_ROOT / "examples").glob("*/answers.yml"))


def test_there_are_examples_for_each_kind_of_project() -> None:
    assert {"research-agent", "content-pipeline", "minimal", "third-party-mcp"} <= set(EXAMPLES)


def test_ci_renders_every_example_with_its_python() -> None:
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows/examples.yml").read_text("utf-8"))
    matrix = workflow["jobs"]["example"]["strategy"]["matrix"]["include"]

    assert sorted(entry["example"] for entry in matrix) == EXAMPLES
    for entry in matrix:
        answers = yaml.safe_load(
            (REPO_ROOT / "examples" / entry["example"] / "answers.yml").read_text("utf-8")
        )
        assert entry["python"] == answers.get("python_version", "3.11"), entry


@pytest.mark.parametrize("example", EXAMPLES)
def test_answers_file_answers_only_project_questions(example: str) -> None:
    questions = yaml.safe_load((REPO_ROOT / "copier.yml").read_text("utf-8"))
    answers = yaml.safe_load((REPO_ROOT / "examples" / example / "answers.yml").read_text("utf-8"))

    assert "project_name" in answers
    unknown = [key for key in answers if key not in questions or key.startswith("_")]
    assert unknown == [], f"{example}: not questions of copier.yml: {unknown}"
    assert "kind" not in answers  # a project, not a component


@pytest.mark.parametrize(
    "script", sorted((REPO_ROOT / "examples").glob("*/steps.sh")), ids=lambda p: p.parent.name
)
def test_steps_script_is_valid_bash_and_finds_its_files(script: Path) -> None:
    checked = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    text = script.read_text("utf-8")
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    for line in text.splitlines():
        if line.startswith("cp "):
            source = line.split()[1].replace('"$here/', "").rstrip('"')
            assert (script.parent / source).is_file(), line


def test_research_agent_example_runs_end_to_end_in_the_docs_tests() -> None:
    """Guard the end-to-end run: the getting-started blocks that do it must stay runnable."""
    page = "docs/getting-started.md"
    blocks = shell_blocks((REPO_ROOT / page).read_text("utf-8"), page)
    runnable = "\n".join(block.text for block in blocks if block.not_run is None)

    for needed in (
        "copier copy --trust --defaults --data-file "
        "~/restack-template/examples/research-agent/answers.yml",
        "bash ~/restack-template/examples/research-agent/steps.sh",
        "restack dev",
        "restack run:agent ResearchAgent",
        '"provider": "mock"',
        '"prompt": "analyze_research@1.0.0"',
    ):
        assert needed in runnable, needed
