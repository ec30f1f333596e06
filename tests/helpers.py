"""Rendering projects from the template and running their own checks."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import copier
import yaml

# Files of the template repository that are not part of what Copier renders.
_NOT_TEMPLATE = {".git", ".venv", ".pytest_cache", ".mypy_cache", ".ruff_cache", "__pycache__"}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout


def template_version(root: Path) -> str:
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


@dataclass
class TemplateRepo:
    path: Path
    tag: str

    def commit_all(self, message: str, tag: str | None = None) -> None:
        git(self.path, "add", "-A")
        git(self.path, "commit", "--quiet", "--allow-empty", "-m", message)
        if tag:
            git(self.path, "tag", tag)
            self.tag = tag


def _ignore(directory: str, names: list[str]) -> set[str]:
    return {name for name in names if name in _NOT_TEMPLATE}


def snapshot_template(source: Path, destination: Path) -> TemplateRepo:
    """Copy the template working tree into a fresh git repository tagged with its version."""
    shutil.copytree(source, destination, ignore=_ignore)
    git(destination, "init", "--quiet", "--initial-branch", "main")
    repo = TemplateRepo(path=destination, tag="")
    repo.commit_all("template snapshot", tag=f"v{template_version(source)}")
    return repo


def render(
    template: TemplateRepo | Path,
    destination: Path,
    data: dict[str, Any] | None = None,
    *,
    vcs_ref: str | None = None,
    commit: bool = True,
) -> Path:
    """Render a project (answers in `data`) and commit it, as a user would after `copier copy`.

    A render is a few seconds of Copier; the same answers from the same template commit
    give the same files, so each is rendered once per process and copied after that
    (a copy takes milliseconds and is a project of its own, .git included).
    """
    src = template.path if isinstance(template, TemplateRepo) else template
    ref = vcs_ref or (template.tag if isinstance(template, TemplateRepo) else None)
    answered = {"project_name": "demo-app", **(data or {})}
    key = _render_key(src, ref, answered, commit)
    if key is None:
        return _render_now(src, destination, answered, ref, commit)
    if key not in _RENDERS:
        # A folder of its own each time: a render that fails halfway leaves its files where
        # no later render of the same answers looks.
        pristine = Path(tempfile.mkdtemp(dir=_renders_root())) / destination.name
        _RENDERS[key] = _render_now(src, pristine, answered, ref, commit)
    shutil.copytree(_RENDERS[key], destination, symlinks=True, dirs_exist_ok=True)
    return destination


def _render_now(
    src: Path, destination: Path, data: dict[str, Any], ref: str | None, commit: bool
) -> Path:
    with _no_git_index_mode_sync():
        copier.run_copy(
            str(src),
            str(destination),
            data=data,
            vcs_ref=ref,
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    if commit:
        git(destination, "add", "-A")
        git(destination, "commit", "--quiet", "-m", "Generate project")
    return destination


@contextlib.contextmanager
def _no_git_index_mode_sync() -> Iterator[None]:
    """Copier without its per-file `git config core.fileMode` (a private method of 9.x).

    For each file it writes, Copier starts git to ask whether the destination repository
    ignores modes, and if so copies the file's executable bit into that repository's index
    for files it already tracks. A new render tracks no file (the template's own `git init`
    runs last), so the answer never matters: it is 180 git processes, a quarter of a
    render's CPU, for nothing. Only the suite's in-process renders skip it; the `restack`
    commands under test run Copier unchanged.
    """
    from copier._main import Worker  # `copier.Worker` warns: it is internal

    name = "_sync_git_index_executable_bit"
    if not hasattr(Worker, name):  # another Copier: nothing to skip
        yield
        return
    with mock.patch.object(Worker, name, lambda self, *args, **kwargs: None):
        yield


# Pristine renders by what made them; nothing but `render` reads or changes them.
_RENDERS: dict[str, Path] = {}


def _render_key(src: Path, ref: str | None, data: dict[str, Any], commit: bool) -> str | None:
    """What a render depends on, or None when that is not known for sure (no explicit
    ref: Copier picks the newest tag itself)."""
    if ref is None:
        return None
    resolved = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=src,
        capture_output=True,
        text=True,
        check=False,
    )
    if resolved.returncode != 0:
        return None
    return json.dumps([str(src), resolved.stdout.strip(), data, commit], sort_keys=True)


@functools.cache
def _renders_root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="restack-renders-"))
    atexit.register(shutil.rmtree, root, True)
    return root


def answers(project: Path, answers_file: str = ".copier-answers.yml") -> dict[str, Any]:
    return yaml.safe_load((project / answers_file).read_text(encoding="utf-8"))


def project_env(project: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(project / "src")
    env.pop("RESTACK_ENGINE_ADDRESS", None)
    # The checks run with this interpreter, which has every dependency of a project.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def run_in(project: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args),
        cwd=project,
        env=project_env(project),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def restack(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the project's `restack` command (as `python -m <package>`)."""
    package = answers(project)["package_name"]
    return run_in(project, sys.executable, "-m", package, *args)


def assert_ok(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, (
        f"{what} failed (exit {result.returncode}):\n"
        f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
    )


def check_project(project: Path, tests: Sequence[str] = ("tests",)) -> None:
    """What the generated project's own CI runs: lint, format, types and its tests.

    `tests` narrows the test run to some paths of the project (none: lint, format and
    types only). Every component combination runs its whole suite somewhere in this
    suite; a project that only adds generated components to one of those runs the
    generated tests and the end-to-end ones, which start a service with everything.
    """
    python = sys.executable
    assert_ok(run_in(project, python, "-m", "ruff", "check", "."), "ruff check")
    assert_ok(run_in(project, python, "-m", "ruff", "format", "--check", "."), "ruff format")
    with _one_mypy_at_a_time(str(answers(project).get("python_version", "default"))):
        assert_ok(run_in(project, python, "-m", "mypy"), "mypy")
    if tests:
        assert_ok(run_project_tests(project, tests), "the project's tests")


@contextlib.contextmanager
def _one_mypy_at_a_time(python_version: str) -> Iterator[None]:
    """Hold the shared mypy cache's lock for this Python version (see tests/conftest.py).

    The first check of each version checks every dependency (half a minute of CPU); a
    second one started meanwhile would do the same work again. Waiting for the first
    costs this worker the time, not the machine: it checks its project against a warm
    cache in a few seconds, while the other workers use the cores.
    """
    cache = os.environ.get("MYPY_CACHE_DIR")
    if not cache:
        yield
        return
    with open(Path(cache) / f".lock-{python_version}", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


_TEMPLATE_TESTS = Path(__file__).resolve().parents[1] / "template" / "tests"
_ANSWER_DEPENDENT = re.compile(r"\bwith_(?:llm|tools|prompts)\b")
# End-to-end tests of framework code that every project has alike, whatever its
# components: the engine client's runtime and timeouts, and the ids and metrics of the
# greeter's run. They run in the all-on project's whole suite (tests/test_generators.py).
_FRAMEWORK_ONLY_E2E = {"tests/e2e/test_engine_client.py", "tests/e2e/test_observability.py"}


def e2e_tests(project: Path) -> tuple[str, ...]:
    """The end-to-end tests whose outcome the project's own components decide: the
    service with every component started, run and stopped; its workflows sandboxed; and
    the generated components' own tests."""
    found = (
        path.relative_to(project).as_posix() for path in (project / "tests/e2e").glob("test_*.py")
    )
    return tuple(sorted(path for path in found if path not in _FRAMEWORK_ONLY_E2E))


def varying_tests(project: Path) -> tuple[str, ...]:
    """The tests of `project` that its component choice could change: the unit tests and
    `e2e_tests` (they see the whole project) and, when a component is off, every
    test file whose template depends on the components chosen.

    Any other test file is the same text over the same framework code in every project
    that has it, and runs in the all-on project's whole suite (tests/test_generators.py);
    so does every answer-dependent file of a project with all components on. A project
    with components off runs this narrower set.
    """
    varying = {"tests/unit", *e2e_tests(project)}
    recorded = answers(project)
    all_on = all(recorded.get(f"with_{part}", True) for part in ("llm", "tools", "prompts"))
    for source in () if all_on else _TEMPLATE_TESTS.rglob("*.jinja"):
        if _ANSWER_DEPENDENT.search(source.read_text(encoding="utf-8")):
            rendered = source.relative_to(_TEMPLATE_TESTS.parent).with_suffix("")
            if rendered.suffix == ".py" and rendered.name.startswith("test_"):
                varying.add(rendered.as_posix())
    return tuple(sorted(path for path in varying if (project / path).exists()))


# A clean stop on SIGTERM, which every project's suite tests with a service started for
# it alone. The whole suites run it: all components on (tests/test_generators.py, where
# tests/mcp stops tool servers the same way), all off, and the upgraded 1.0.0 project.
# A narrower run is about what a project's components add to a running service, and
# its shared service is still stopped by SIGTERM when the run ends.
_WHOLE_SUITE_ONLY = ("tests/e2e/test_sample_agent.py::test_service_stops_cleanly_on_sigterm",)


def run_project_tests(
    project: Path, tests: Sequence[str] = ("tests",)
) -> subprocess.CompletedProcess[str]:
    left_out = () if tuple(tests) == ("tests",) else _WHOLE_SUITE_ONLY
    deselect = [arg for node in left_out for arg in ("--deselect", node)]
    # pytest-copie is this repository's plugin, not a project's: it imports Copier into
    # every run (half a CPU second) and the project's own environment does not have it.
    plugins = ("-p", "no:cacheprovider", "-p", "no:copie")
    command = ("-m", "pytest", "-q", *plugins, "-x", *deselect, *tests)
    return run_in(project, sys.executable, *command)


def files_of(project: Path) -> dict[str, str]:
    """Every tracked or untracked (not ignored) file with its content, for comparisons."""
    listed = git(project, "ls-files", "--cached", "--others", "--exclude-standard").split()
    return {
        name: (project / name).read_text(encoding="utf-8", errors="replace")
        for name in sorted(set(listed))
        if (project / name).is_file()
    }


# What a template release consists of (the rest of the repository is tooling). 1.0.0 had
# no migrations.
TEMPLATE_PATHS = ("copier.yml", "extensions", "template", "generators", "migrations")


def _replace_template_files(source: Path, repo: Path) -> None:
    for name in TEMPLATE_PATHS:
        target = repo / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        origin = source / name
        if not origin.exists():
            continue
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=_ignore)
        else:
            shutil.copy2(origin, target)


def release_history(destination: Path, releases: list[tuple[Path, str]]) -> TemplateRepo:
    """A template repository whose commits are the given releases, each tagged."""
    destination.mkdir(parents=True)
    git(destination, "init", "--quiet", "--initial-branch", "main")
    repo = TemplateRepo(path=destination, tag="")
    for source, tag in releases:
        _replace_template_files(source, destination)
        repo.commit_all(f"Release {tag}", tag=tag)
    return repo


def load_migrations(root: Path | None = None) -> ModuleType:
    """The template's migration script (migrations/migrate.py) as a module."""
    path = (root or Path(__file__).resolve().parents[1]) / "migrations" / "migrate.py"
    spec = importlib.util.spec_from_file_location("restack_template_migrate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module
