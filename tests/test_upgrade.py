"""Upgrades from 1.0.0 a user can trust: every edit survives, the CLI keeps working.

The template repository is the real 1.0.0 release (the frozen fixture) tagged v1.0.0 and
the current template tagged with its version. The v1 project is grown with 1.0.0's own
`restack g` (an agent, a workflow, a function), edited the way users edit projects, and
installed into its own `.venv`, which holds only what that project asked for (see
`tests/env_guard.py`): the `restack` command there fails exactly as it would on a user's
machine when the code needs a package the environment lacks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO_ROOT
from .helpers import (
    TEMPLATE_PATHS,
    TemplateRepo,
    answers,
    assert_ok,
    check_project,
    e2e_tests,
    files_of,
    git,
    release_history,
    render,
    restack,
    template_version,
)

V1 = REPO_ROOT / "tests" / "fixtures" / "template-v1"
CURRENT = f"v{template_version(REPO_ROOT)}"
COMPONENTS = (".copier/agent-planner.yml", ".copier/function-fetch_weather.yml")
COMPONENT_FILES = (*COMPONENTS, ".copier/workflow-report.yml")
PKG = "src/demo_app"
MARKERS = ("<" * 7 + " before updating", ">" * 7 + " after updating")


@dataclass(frozen=True)
class Edit:
    """A change a user makes to a v1 project; `kept` must be in `where` after upgrades."""

    path: str
    old: str
    new: str
    where: str = ""

    def apply(self, project: Path) -> None:
        target = project / self.path
        if not self.old:
            target.parent.mkdir(parents=True, exist_ok=True)
            before = target.read_text(encoding="utf-8") if target.exists() else ""
            target.write_text(before + self.new, encoding="utf-8")
            return
        text = target.read_text(encoding="utf-8")
        assert self.old in text, f"{self.old!r} is not in {self.path}"
        target.write_text(text.replace(self.old, self.new, 1), encoding="utf-8")

    def assert_kept(self, project: Path) -> None:
        text = (project / (self.where or self.path)).read_text(encoding="utf-8")
        if self.new:
            assert self.new in text, f"the edit to {self.path} was lost:\n{self.new}"
        else:
            assert self.old not in text, f"{self.old!r} came back in {self.path}"


CUSTOM_FUNCTION = '''"""lookup_forecast: our own function, written by hand."""

from __future__ import annotations

from pydantic import BaseModel
from restack_ai.function import function


class LookupForecastInput(BaseModel):
    city: str


@function.defn()
async def lookup_forecast(function_input: LookupForecastInput) -> str:
    return f"Sunny in {function_input.city}"
'''

EDITS = (
    # A dependency appended where everyone appends one, and a dev tool.
    Edit("pyproject.toml", '    "pyyaml>=6.0.1",\n]', '    "pyyaml>=6.0.1",\n    "attrs>=23",\n]'),
    Edit(
        "pyproject.toml",
        '    "types-pyyaml>=6",\n]\n\n[dependency-groups]',
        '    "types-pyyaml>=6",\n    "pytest-timeout>=2.3",\n]\n\n[dependency-groups]',
    ),
    Edit(
        "README.md",
        "Durable AI agents on Restack\n",
        "Durable AI agents on Restack\n\nOwned by the platform team (#agents).\n",
    ),
    Edit("README.md", "", "\n## Deploying\n\nThe service runs on our cluster; see deploy/.\n"),
    Edit(".env.example", "", "WEATHER_API_KEY=\n"),
    Edit(
        ".github/workflows/ci.yml",
        "",
        "      - name: Image\n        run: docker build -t demo-app .\n",
    ),
    # A retry constant tuned, a function of our own.
    Edit(f"{PKG}/common/policies.py", "maximum_attempts=5,", "maximum_attempts=7,"),
    Edit(f"{PKG}/functions/lookup_forecast.py", "", CUSTOM_FUNCTION),
    # Each generated component edited inside its body.
    Edit(
        f"{PKG}/agents/planner.py",
        "        await condition(all_events_finished)\n",
        "        await condition(all_events_finished)\n"
        "        del self.transcript[:-MAX_TURNS]  # keep the newest turns\n",
    ),
    Edit(
        f"{PKG}/agents/planner.py",
        "\n\nclass PlannerInput(BaseModel):",
        "\nMAX_TURNS = 50\n\n\nclass PlannerInput(BaseModel):",
    ),
    Edit(
        f"{PKG}/workflows/report.py",
        "Field(min_length=1, description",
        "Field(min_length=1, max_length=100, description",
    ),
    Edit(
        f"{PKG}/functions/fetch_weather.py",
        "characters=len(text))\n",
        'characters=len(text), source="forecast")\n',
    ),
    # A file 2.0.0 moves (testing.py -> testing/__init__.py), edited.
    Edit(
        f"{PKG}/testing.py",
        "",
        '\n\ndef engine_address(port: int) -> str:\n    return f"localhost:{port}"\n',
        where=f"{PKG}/testing/__init__.py",
    ),
    # The sample workflow is not wanted: gone with its tests.
    Edit(
        "tests/unit/test_discovery.py",
        '    assert "GreetingWorkflow" in components.workflow_names()\n',
        "",
    ),
)
DELETED = (f"{PKG}/workflows/greeting_workflow.py", "tests/e2e/test_sample_agent.py")
# Changes a line 2.0.0 changes too: the one conflict an upgrade must report.
CONFLICTING = Edit(
    "README.md",
    "| Move the project and its components to a newer template |",
    "| Move the project and its components to a newer template (monthly) |",
)


def assert_edits_kept(project: Path) -> None:
    for edit in EDITS:
        edit.assert_kept(project)
    for path in DELETED:
        assert not (project / path).exists(), f"{path} came back"
    assert not (project / f"{PKG}/testing.py").exists()
    assert conflict_files(project) == []


def conflict_files(project: Path) -> list[str]:
    return sorted(
        name
        for name, text in files_of(project).items()
        if any(line.rstrip() in MARKERS for line in text.splitlines())
    )


def keep_theirs(text: str) -> str:
    """Resolve every conflict by taking the template's side."""
    kept: list[str] = []
    side = None
    for line in text.splitlines(keepends=True):
        if line.rstrip() == MARKERS[0]:
            side = "mine"
        elif side == "mine" and line.startswith("=" * 7):
            side = "theirs"
        elif line.rstrip() == MARKERS[1]:
            side = None
        elif side != "mine":
            kept.append(line)
    return "".join(kept)


def commit(project: Path, message: str) -> None:
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", message)


# ------------------------------------------------------------------ the environment


def make_venv(project: Path) -> Path:
    """A `.venv` in the project with the project installed, seeing only what it asked for."""
    venv = project / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "_base_site.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    shutil.copy(REPO_ROOT / "tests" / "env_guard.py", site / "_restack_env_guard.py")
    (site / "_restack_env_guard.pth").write_text("import _restack_env_guard\n")
    python = venv / "bin" / "python"
    assert_ok(
        run_venv(project, str(python), "-m", "pip", "install", "--quiet", "-e", ".[dev]"),
        "pip install -e .[dev]",
    )
    return python


def venv_env(project: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "RESTACK_ENGINE_ADDRESS", "VIRTUAL_ENV"}
    }
    env.update(
        PATH=f"{project / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        RESTACK_ENV_GUARD="demo-app",
        # Reinstalls stay offline: every package is already visible to the venv.
        PIP_NO_INDEX="1",
        PIP_NO_BUILD_ISOLATION="0",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def run_venv(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        cwd=project,
        env=venv_env(project),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The project's `restack` command as its user runs it: from the project's .venv."""
    return run_venv(project, str(project / ".venv" / "bin" / "restack"), *args)


def copier_update(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Plain Copier, installed on its own (as with pipx), not from the project's .venv."""
    return subprocess.run(
        [sys.executable, "-m", "copier", "update", "--trust", "--defaults", *args],
        cwd=project,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        check=False,
    )


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    root = tmp_path_factory.mktemp("history") / "template"
    return release_history(root, [(V1, "v1.0.0"), (REPO_ROOT, CURRENT)])


@pytest.fixture(scope="module")
def v1_project(history: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made with 1.0.0, grown with 1.0.0's generators, edited, committed."""
    project = render(history, tmp_path_factory.mktemp("v1") / "demo-app", vcs_ref="v1.0.0")
    for kind, name in (("agent", "Planner"), ("workflow", "Report"), ("function", "fetch_weather")):
        assert_ok(restack(project, "g", kind, name), f"restack g {kind} {name} (1.0.0)")
    commit(project, "Our components")
    for edit in EDITS:
        edit.apply(project)
    for path in DELETED:
        (project / path).unlink()
    commit(project, "Our edits")
    return project


def copy_of(project: Path, destination: Path) -> Path:
    shutil.copytree(project, destination, symlinks=True)
    return destination


# ------------------------------------------------------------------ the matrix


@pytest.mark.slow
def test_restack_upgrade_from_v1_then_turn_components_on(v1_project: Path, tmp_path: Path) -> None:
    project = copy_of(v1_project, tmp_path / "demo-app")
    CONFLICTING.apply(project)
    commit(project, "Our release cadence")
    make_venv(project)

    # 1.0.0's own `restack upgrade` moves the project to the new release and stops at
    # the one line both sides changed.
    first = cli(project, "upgrade")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "README.md" in first.stdout
    assert conflict_files(project) == ["README.md"]
    assert "moves src/demo_app/testing.py" in first.stderr
    # 1.0.0's command runs Copier as plain `copier update` does: the migration names the
    # conflict, which Copier itself does not.
    assert "CONFLICTS in README.md" in first.stderr

    # Any command now starts with a warning naming the file; the CLI itself still works.
    warned = cli(project, "--help")
    assert_ok(warned, "restack --help during a conflict")
    assert "conflicts in README.md" in warned.stderr

    readme = project / "README.md"
    resolved = keep_theirs(readme.read_text(encoding="utf-8"))
    readme.write_text(resolved.replace("newer template |", "newer template (monthly) |"))
    commit(project, "Resolve the upgrade conflict")

    # The new release's `restack upgrade` resumes with the components.
    second = cli(project, "upgrade")
    assert_ok(second, "restack upgrade after resolving")
    for answers_file in (".copier-answers.yml", *COMPONENT_FILES):
        assert answers(project, answers_file)["_commit"] == CURRENT
    log = git(project, "log", "--format=%s")
    assert f"restack upgrade: .copier/agent-planner.yml v1.0.0 -> {CURRENT}" in log
    assert_edits_kept(project)
    assert "(monthly)" in readme.read_text(encoding="utf-8")
    # Opt-in: the project stays 1.0.0-shaped.
    project_answers = answers(project)
    assert [project_answers[f"with_{c}"] for c in ("llm", "tools", "prompts")] == [False] * 3
    assert not (project / PKG / "llm").exists()
    assert git(project, "status", "--porcelain") == ""

    # The spec's migration commands explain how to get what is missing.
    missing = cli(project, "g", "llm-config")
    assert missing.returncode == 2
    assert "restack upgrade --with llm" in missing.stderr

    again = cli(project, "upgrade")
    assert_ok(again, "restack upgrade with nothing to do")
    assert f"Already up to date: the project and its components are on {CURRENT}" in again.stdout
    assert "updated" not in again.stdout

    head = git(project, "rev-parse", "HEAD")
    preview = cli(project, "upgrade", "--with", "llm,tools,prompts", "--dry-run")
    assert_ok(preview, "restack upgrade --dry-run")
    assert "turning on llm, tools, prompts" in preview.stdout
    assert f"{PKG}/llm/" in preview.stdout
    assert git(project, "rev-parse", "HEAD") == head
    assert git(project, "status", "--porcelain") == ""

    # Before reinstalling, the environment has only 1.0.0's packages.
    blocked = run_venv(project, str(project / ".venv/bin/python"), "-c", "import httpx")
    assert blocked.returncode == 1 and "No module named 'httpx'" in blocked.stderr

    enabled = cli(project, "upgrade", "--with", "llm,tools,prompts")
    assert_ok(enabled, "restack upgrade --with llm,tools,prompts")
    assert "reinstalled" in enabled.stdout
    assert all(answers(project)[f"with_{c}"] is True for c in ("llm", "tools", "prompts"))
    assert (project / PKG / "llm").is_dir() and (project / "config/tools.yaml").is_file()
    assert_edits_kept(project)

    # The spec's migration guide, on the upgraded project, in the reinstalled environment.
    exists = cli(project, "g", "llm-config")  # the upgrade wrote the starter config
    assert_ok(exists, "restack g llm-config")
    assert "identical  config/llm_router.yaml" in exists.stdout
    assert_ok(cli(project, "g", "tool-server", "Default"), "restack g tool-server Default")
    assert_ok(
        cli(project, "g", "agent", "Planner", "--with-llm", "--force"),
        "restack g agent Planner --with-llm --force",
    )
    assert "(LLMAgent)" in (project / PKG / "agents/planner.py").read_text(encoding="utf-8")
    commit(project, "LLM planner and a tool server")
    # Lint and types over everything; the unit and end-to-end suites hold the user's
    # edits and the upgraded and generated components. tests/llm, tests/mcp and
    # tests/prompts arrive unchanged from the release and run on fresh renders elsewhere.
    check_project(project, tests=("tests/unit", *e2e_tests(project)))


@pytest.mark.slow
def test_plain_copier_update_from_v1(v1_project: Path, tmp_path: Path) -> None:
    project = copy_of(v1_project, tmp_path / "demo-app")
    make_venv(project)

    result = copier_update(project)
    assert_ok(result, "copier update")
    assert "keeps them off" in result.stderr
    assert "moves src/demo_app/testing.py" in result.stderr
    for answers_file in COMPONENT_FILES:  # the next step, spelled out
        assert f"copier update --trust --defaults -a {answers_file}" in result.stderr
    commit(project, "Upgrade the project")
    assert_ok(cli(project, "--help"), "restack --help after copier update")
    for answers_file in COMPONENT_FILES:
        assert_ok(copier_update(project, "-a", answers_file), f"copier update -a {answers_file}")
        commit(project, f"Upgrade {answers_file}")
        assert answers(project, answers_file)["_commit"] == CURRENT

    assert_edits_kept(project)
    assert not (project / PKG / "llm").exists()
    assert_ok(cli(project, "g", "function", "send_report"), "restack g function (2.0.0)")
    assert (project / ".copier/function-send_report.yml").is_file()
    commit(project, "A new function")
    check_project(project)

    # Components turned on with plain Copier: the environment lacks their packages
    # until the project is reinstalled, and the CLI says so instead of crashing.
    enable = ("-d", "with_llm=true", "-d", "with_tools=true", "-d", "with_prompts=true")
    turned_on = copier_update(project, "--vcs-ref", ":current:", *enable)
    assert_ok(turned_on, "copier update --data with_*=true")
    assert "reinstall the project" in turned_on.stderr
    assert_edits_kept(project)
    commit(project, "Components on")
    stale = cli(project, "--help")
    assert_ok(stale, "restack --help with packages missing")
    assert "pip install -e '.[dev]'" in stale.stderr
    # The prompt registry needs ruamel.yaml, which 1.0.0 did not install.
    refused = cli(project, "prompts", "list")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "pip install -e '.[dev]'" in refused.stderr

    fixed = cli(project, "upgrade")
    assert_ok(fixed, "restack upgrade (reinstall only)")
    assert "reinstalled" in fixed.stdout
    working = cli(project, "test:llm", "--dry-run")
    assert_ok(working, "restack test:llm --dry-run after the reinstall")
    assert "warning" not in working.stderr


# ------------------------------------------------------------------ single behaviours


@pytest.fixture(scope="module")
def v2_project(template_repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project made with the current release (every component on), committed."""
    return render(template_repo, tmp_path_factory.mktemp("v2") / "demo-app")


def test_upgrade_refusals_change_nothing(v2_project: Path, tmp_path: Path) -> None:
    project = copy_of(v2_project, tmp_path / "demo-app")

    unknown = restack(project, "upgrade", "--with", "llm,toolz")

    assert unknown.returncode == 2
    assert "toolz" in unknown.stderr and "llm, tools, prompts" in unknown.stderr
    assert git(project, "status", "--porcelain") == ""

    (project / PKG / "agents/greeter_agent.py").write_text("# work in progress\n")
    before = files_of(project)

    dirty = restack(project, "upgrade")

    assert dirty.returncode == 1
    assert "uncommitted changes" in dirty.stderr
    assert "Commit or stash" in dirty.stderr
    assert files_of(project) == before


def test_update_refuses_typos_in_the_answers_file(v2_project: Path, tmp_path: Path) -> None:
    project = copy_of(v2_project, tmp_path / "demo-app")
    answers_file = project / ".copier-answers.yml"
    for typo, message in (
        ("with_toolz: true\n", "unknown answer 'with_toolz'"),
        ("with_tools: maybe\n", "with_tools must be true or false, not 'maybe'"),
    ):
        text = answers_file.read_text(encoding="utf-8")
        lines = [line for line in text.splitlines(keepends=True) if "with_tool" not in line]
        answers_file.write_text("".join(lines) + typo, encoding="utf-8")
        commit(project, f"Typo: {typo.strip()}")
        before = files_of(project)

        result = copier_update(project, "--vcs-ref", ":current:")

        assert result.returncode != 0
        assert f"error: .copier-answers.yml: {message}" in result.stderr
        assert files_of(project) == before


def test_conflicts_stop_the_upgrade_and_it_resumes_after_resolving(tmp_path: Path) -> None:
    # A next release changes a line that the user also changed.
    next_source = tmp_path / "next-source"
    for name in TEMPLATE_PATHS:
        origin = REPO_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, next_source / name)
        else:
            next_source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, next_source / name)
    policies = next_source / "template/src/{{package_name}}/common/policies.py"
    policies.write_text(
        policies.read_text(encoding="utf-8").replace("maximum_attempts=5,", "maximum_attempts=4,"),
        encoding="utf-8",
    )
    # It also rewords a published prompt version, which projects own once they have it.
    prompt = next_source / "template/prompts/summarize/v1.0.0.md"
    prompt.write_text(prompt.read_text(encoding="utf-8") + "\nBe brief.\n", encoding="utf-8")
    history = release_history(
        tmp_path / "template", [(REPO_ROOT, CURRENT), (next_source, "v99.0.0")]
    )
    project = render(history, tmp_path / "demo-app", vcs_ref=CURRENT)
    published = (project / "prompts/summarize/v1.0.0.md").read_text(encoding="utf-8")
    assert_ok(restack(project, "g", "function", "fetch_weather"), "restack g function")
    policies_py = project / PKG / "common/policies.py"
    Edit(f"{PKG}/common/policies.py", "maximum_attempts=5,", "maximum_attempts=7,").apply(project)
    commit(project, "Our retries")

    first = restack(project, "upgrade")

    assert first.returncode == 1
    assert "src/demo_app/common/policies.py" in first.stdout
    assert "commit, then run `restack upgrade` again" in first.stderr
    text = policies_py.read_text(encoding="utf-8")
    assert MARKERS[0] in text
    assert "maximum_attempts=7" in text and "maximum_attempts=4" in text
    assert answers(project, ".copier/function-fetch_weather.yml")["_commit"] == CURRENT
    warned = restack(project, "--help")
    assert "unresolved upgrade conflicts in src/demo_app/common/policies.py" in warned.stderr
    refused = restack(project, "upgrade")
    assert refused.returncode == 1 and "left conflicts" in refused.stderr

    # The user keeps their value, commits, and runs the upgrade again.
    policies_py.write_text(keep_theirs(text).replace("maximum_attempts=4", "maximum_attempts=7"))
    commit(project, "Resolve the upgrade conflict")
    second = restack(project, "upgrade")

    assert_ok(second, "restack upgrade after resolving")
    assert answers(project)["_commit"] == "v99.0.0"
    assert answers(project, ".copier/function-fetch_weather.yml")["_commit"] == "v99.0.0"
    assert "maximum_attempts=7" in policies_py.read_text(encoding="utf-8")
    assert "warning" not in restack(project, "--help").stderr
    assert (project / "prompts/summarize/v1.0.0.md").read_text(encoding="utf-8") == published
