"""The documentation: both sites build strictly, the command reference matches the CLI,
and every shell block of the docs runs (or says why it cannot).

How blocks are run and compared is described in `tests/docs_support.py`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import REPO_ROOT
from .docs_support import (
    PROJECT_NAME,
    Block,
    MarkerError,
    console_steps,
    make_sandbox,
    output_matches,
    page_run,
    shell_blocks,
)
from .helpers import TemplateRepo, assert_ok, render, run_in

# The template's pages (they start in $HOME, beside restack-template/) ...
TEMPLATE_PAGES = [
    "README.md",
    *sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "docs").rglob("*.md")),
]
# ... and the generated project's (they start in the project), by their rendered names.
PROJECT_SOURCES = {
    "README.md": REPO_ROOT / "template" / "README.md.jinja",
    **{
        f"docs/{p.name.removesuffix('.jinja')}": p
        for p in sorted((REPO_ROOT / "template" / "docs").glob("*.md*"))
    },
}


def _runnable(text: str, source: str) -> bool:
    return any(block.not_run is None for block in shell_blocks(text, source))


RUNNABLE_PAGES = [
    pytest.param("template", page, id=f"template:{page}")
    for page in TEMPLATE_PAGES
    if _runnable((REPO_ROOT / page).read_text(encoding="utf-8"), page)
] + [
    pytest.param("project", page, id=f"project:{page}")
    for page, source in PROJECT_SOURCES.items()
    if _runnable(source.read_text(encoding="utf-8"), page)
]


@pytest.fixture(scope="module")
def docs_project(template_repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project every page's sandbox starts from (copied per page, never changed)."""
    return render(
        template_repo,
        tmp_path_factory.mktemp("docs") / PROJECT_NAME,
        {"project_name": PROJECT_NAME},
    )


# ------------------------------------------------------------------ the harness itself


def test_markers_and_console_transcripts_are_read_as_documented() -> None:
    text = """\
Intro.

<!-- not-run: needs a real API key -->
```bash
restack test:llm
```

<!-- setup:
  echo prepared
-->

```console
$ restack doctor
...
$ echo a \\
    b
a b
```

<!-- not-run: stale -->
A paragraph between a marker and a fence cancels the marker.

```sh
true
```
"""
    blocks = shell_blocks(text, "page.md")

    assert [(b.language, b.not_run, b.setup) for b in blocks] == [
        ("bash", "needs a real API key", None),
        ("console", None, "echo prepared"),
        ("sh", None, None),
    ]
    steps = console_steps(blocks[1].text)
    assert [s.command for s in steps] == ["restack doctor", "echo a \n    b"]
    assert steps[1].expected == ["a b"]
    with pytest.raises(MarkerError, match=r"page\.md:1"):
        shell_blocks("<!-- not-run: -->\n```bash\nls\n```\n", "page.md")


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        (["a", "b"], ["", "a", "b", ""], True),
        (["a", "b"], ["a", "c"], False),
        (["a", "..."], ["a", "x", "y"], True),
        (["...", "z"], ["x", "y"], False),
        (["error: at ... failed"], ["error: at 127.0.0.1:9 failed"], True),
        (["error: at ... failed"], ["error: at 127.0.0.1:9 worked"], False),
        (["a", "...", "c"], ["a", "c"], True),
        # A message wrapped at another column is the same message.
        (
            ["error: the key OPENAI_API_KEY is not set"],
            ["error: the key", "OPENAI_API_KEY is not set"],
            True,
        ),
        (["x  y"], ["x y"], True),
        (["x y"], ["xy"], False),
    ],
)
def test_expected_output_matching(expected: list[str], actual: list[str], matches: bool) -> None:
    assert output_matches(expected, actual) is matches


# ------------------------------------------------------------------ the docs


def _all_blocks(docs_project: Path) -> list[Block]:
    blocks: list[Block] = []
    for page in TEMPLATE_PAGES:
        blocks += shell_blocks((REPO_ROOT / page).read_text(encoding="utf-8"), page)
    for page in PROJECT_SOURCES:
        rendered = docs_project / page
        if rendered.exists():
            blocks += shell_blocks(rendered.read_text(encoding="utf-8"), f"project:{page}")
    return blocks


def test_every_shell_block_runs_or_says_why_not(docs_project: Path) -> None:
    """Markers are well formed (parsing raises otherwise) and most of the docs run."""
    blocks = _all_blocks(docs_project)
    skipped = [b for b in blocks if b.not_run]
    run = [b for b in blocks if not b.not_run]
    print(f"\n{len(run)} shell blocks run, {len(skipped)} marked not-run:")
    for block in skipped:
        print(f"  {block.where}: {block.not_run}")
    assert len(run) > len(skipped), "most shell blocks of the docs should run in the tests"


@pytest.mark.parametrize(("tree", "page"), RUNNABLE_PAGES)
def test_shell_blocks_of(
    tree: str, page: str, template_repo: TemplateRepo, docs_project: Path, tmp_path: Path
) -> None:
    sandbox = make_sandbox(tmp_path, template_repo.path, docs_project)
    if tree == "template":
        text, start = (REPO_ROOT / page).read_text(encoding="utf-8"), sandbox.home
    else:
        text, start = (sandbox.project / page).read_text(encoding="utf-8"), sandbox.project
    blocks = [block for block in shell_blocks(text, page) if block.not_run is None]

    with page_run(sandbox, start, tmp_path / "logs") as run:
        for block in blocks:
            run.run(block)

    print(f"\n{page}: wall s, CPU s, command")
    for command, wall, cpu in run.ran:
        print(f"{wall:6.1f} {cpu:6.1f}  {command.splitlines()[0][:100]}")
    assert run.ran, f"{page}: no command ran"


# ------------------------------------------------------------------ the sites


def _build_site(project_dir: Path, destination: Path, env_project: Path | None = None) -> str:
    command = (sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(destination))
    if env_project is None:
        result = subprocess.run(
            command, cwd=project_dir, capture_output=True, text=True, timeout=300, check=False
        )
    else:
        result = run_in(env_project, *command, timeout=300)
    assert_ok(result, f"mkdocs build --strict in {project_dir}")
    return result.stderr


def test_template_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _build_site(REPO_ROOT, site)

    # Pages pulled in by the hook: the project's own docs and the changelog.
    assert (site / "project" / "llm" / "index.html").is_file()
    assert (site / "project" / "troubleshooting" / "index.html").is_file()
    assert "2.0.0" in (site / "changelog" / "index.html").read_text(encoding="utf-8")
    reference = (site / "project" / "cli" / "index.html").read_text(encoding="utf-8")
    assert "restack g agent" in reference


def test_project_site_builds_strictly_with_a_reference_read_from_its_cli(
    docs_project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    _build_site(docs_project, site, env_project=docs_project)

    reference = (site / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("restack dev", "restack g agent", "restack g tool-server", "restack g prompt"):
        assert command in reference
    assert "--with-llm" in reference
    assert "docs:cli" in reference  # named in the intro, but the hidden command has no section
    assert "restack docs:cli</code></h2>" not in reference


def test_site_of_a_project_without_components_lists_only_its_commands(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = render(
        template_repo,
        tmp_path / "plain-agents",
        {
            "project_name": "plain-agents",
            "with_llm": False,
            "with_tools": False,
            "with_prompts": False,
        },
    )
    site = tmp_path / "site"
    _build_site(project, site, env_project=project)

    assert not (site / "llm").exists() and not (site / "kong").exists()
    reference = (site / "cli" / "index.html").read_text(encoding="utf-8")
    assert "restack g agent" in reference
    for absent in ("restack g tool-server", "restack test:llm", "restack prompts", "--check-llm"):
        assert absent not in reference


def test_committed_command_reference_matches_the_cli(docs_project: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "cli_reference.py"),
            "--check",
            "--project",
            str(docs_project),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_questions_page_lists_every_project_question_with_its_default() -> None:
    questions = yaml.safe_load((REPO_ROOT / "copier.yml").read_text(encoding="utf-8"))
    page = (REPO_ROOT / "docs" / "questions.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in page.splitlines()
        if line.startswith("| `")
    }
    project_questions = [
        name
        for name, spec in questions.items()
        if not name.startswith("_")
        and isinstance(spec, dict)
        and ("kind == 'project'" in str(spec.get("when", "")) or name == "package_name")
    ]

    assert sorted(rows) == sorted(project_questions)
    for name in project_questions:
        default = questions[name].get("default")
        shown = rows[name].split("|")[2].strip()
        if isinstance(default, bool):
            assert shown == f"`{str(default).lower()}`", name
        elif isinstance(default, str) and "{" not in default:
            assert shown == f"`{default}`", name
