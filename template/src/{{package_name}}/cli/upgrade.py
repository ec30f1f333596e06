# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`restack upgrade`: move the project and each component to a newer template release.

Copier's three-way merge keeps your edits; where you and the template changed the same
lines it leaves conflict markers, and the upgrade stops until you resolve them. Copier
needs a clean git tree for every update, so each successful step is committed before the
next one starts. The project step can change the project's dependencies, so the project
is then reinstalled where it is installed, and `restack` keeps working.

Components a release adds stay off in projects made before it; `--with` turns them on.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ..common.settings import project_root
from .console import console, errors, fail
from .template import (
    PROJECT_ANSWERS,
    TemplateSource,
    git_is_dirty,
    read_answers,
    template_source,
)
from .template_cache import redirected_to_mirror


@dataclass(frozen=True)
class OptionalComponent:
    """A component a project can be generated or upgraded with."""

    name: str
    """What `--with` calls it."""
    answer: str
    """The Copier question that turns it on."""
    package: str
    """Its subpackage of this project's package, e.g. `llm`."""
    title: str
    commands: tuple[str, ...]
    """The `restack` commands it adds (a project without it explains how to get them)."""


OPTIONAL = (
    OptionalComponent(
        "llm", "with_llm", "llm", "the LLM router", ("g llm-config", "g kong-config", "test:llm")
    ),
    OptionalComponent(
        "tools", "with_tools", "mcp", "tool servers", ("g tool-server", "test:tools")
    ),
    OptionalComponent(
        "prompts", "with_prompts", "prompts", "the prompt registry", ("g prompt", "prompts")
    ),
)
# Printed through rich, which would read "[dev]" as a style tag.
REINSTALL_COMMAND = "pip install -e '.[dev]'"
REINSTALL = escape(REINSTALL_COMMAND)
# Copier's conflict marker lines, spelled so that this file does not contain them: an
# older `restack upgrade` counts any file holding them as conflicted.
_CONFLICT_MARKERS = {"<" * 7 + " before updating", ">" * 7 + " after updating"}
# `git status --porcelain` codes of paths with unmerged index stages (Copier sets them).
_UNMERGED = {"DD", "AU", "UD", "UA", "DU", "AA", "UU"}


# ------------------------------------------------------------------ conflicts


def conflicted_files(root: Path) -> list[str]:
    """Files an update left conflicted: unmerged in the index, or holding marker lines."""
    found: set[str] = set()
    status = _git(root, "status", "--porcelain", "--untracked-files=all")
    for line in status.splitlines():
        name = line[3:].strip().strip('"')
        if line[:2] in _UNMERGED:
            found.add(name)
            continue
        path = root / name
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if path.is_file() and _has_markers(path.read_text(encoding="utf-8")):
                found.add(name)
    return sorted(found)


def _has_markers(text: str) -> bool:
    return any(line.rstrip() in _CONFLICT_MARKERS for line in text.splitlines())


def warn_about_conflicts() -> None:
    """One line on stderr when an update left conflicts behind (run before every command).

    A plain `copier update` exits 0 even when it leaves conflict markers; the user would
    otherwise find out from a syntax error much later.
    """
    root = project_root()
    if not (root / PROJECT_ANSWERS).is_file() or shutil.which("git") is None:
        return
    conflicts = conflicted_files(root)
    if conflicts:
        errors.print(
            f"[yellow]warning:[/] unresolved upgrade conflicts in {escape(', '.join(conflicts))}: "
            "keep what you need between the conflict markers, delete the markers and "
            "commit (docs/upgrading.md).",
            highlight=False,
        )


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else ""


# ------------------------------------------------------------------ environments


@dataclass(frozen=True)
class Environment:
    python: str
    editable: bool
    requires: frozenset[str]


# Runs in the environment being asked about, which may not be this one.
_INSPECT = """
import importlib.metadata as m, json, sys
try:
    d = m.distribution(sys.argv[1])
except m.PackageNotFoundError:
    sys.exit(3)
url = json.loads(d.read_text("direct_url.json") or "{}")
print(json.dumps({"requires": d.requires or [],
                  "editable": url.get("dir_info", {}).get("editable", False)}))
"""


def _inspect(python: str, distribution: str) -> Environment | None:
    try:
        result = subprocess.run(
            [python, "-c", _INSPECT, distribution],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if result.returncode != 0:
        return None
    found = json.loads(result.stdout)
    return Environment(
        python=python,
        editable=bool(found["editable"]),
        requires=frozenset(_requirement_key(r) for r in found["requires"]),
    )


def _requirement_key(requirement: str) -> str:
    """A requirement without its environment marker, spelled one way (name, extras, spec)."""
    from packaging.requirements import InvalidRequirement, Requirement

    text = requirement.split(";", 1)[0]
    try:
        parsed = Requirement(text)
    except InvalidRequirement:
        return re.sub(r"\s+", "", text).lower()
    name = re.sub(r"[-_.]+", "-", parsed.name).lower()
    extras = ",".join(sorted(parsed.extras))
    return f"{name}[{extras}]{parsed.specifier}"


def declared_requirements(root: Path) -> tuple[str, frozenset[str]]:
    """The distribution name and every requirement (runtime and dev) in pyproject.toml."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    listed = [*project.get("dependencies", [])]
    for extra in project.get("optional-dependencies", {}).values():
        listed.extend(extra)
    return str(project["name"]), frozenset(_requirement_key(r) for r in listed)


def find_environment(root: Path, distribution: str) -> Environment | None:
    """Where the project is installed: this interpreter's environment, or the project's .venv."""
    candidates = [sys.executable]
    local = root / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if local.exists() and local.resolve() != Path(sys.executable).resolve():
        candidates.append(str(local))
    for python in candidates:
        found = _inspect(python, distribution)
        if found is not None:
            return found
    return None


def _install_command(environment: Environment) -> list[str] | None:
    target = ["-e", ".[dev]"] if environment.editable else [".[dev]"]
    has_pip = subprocess.run(
        [environment.python, "-m", "pip", "--version"], capture_output=True, check=False
    )
    if has_pip.returncode == 0:
        return [environment.python, "-m", "pip", "install", "--quiet", *target]
    uv = shutil.which("uv")
    if uv:  # environments made by uv have no pip
        return [uv, "pip", "install", "--quiet", "--python", environment.python, *target]
    return None


def reinstall(
    root: Path, *, project_step: bool, dry_run: bool = False, pyproject_root: Path | None = None
) -> bool:
    """Install the project again where it lacks a dependency of pyproject.toml.

    Returns False when that was needed and failed. `project_step` says the project was
    just updated (and is reported either way); `pyproject_root` is where the updated
    pyproject.toml is, when not in `root` (a dry run).
    """
    try:
        distribution, declared = declared_requirements(pyproject_root or root)
    except (OSError, KeyError, tomllib.TOMLDecodeError) as error:
        errors.print(
            f"[yellow]warning:[/] pyproject.toml cannot be read ({error}); "
            f"fix it, then run {REINSTALL}.",
            highlight=False,
        )
        return False
    environment = find_environment(root, distribution)
    if environment is None:
        if project_step:
            console.print(
                f"  [yellow]note[/]     {distribution} is not installed in this environment "
                f"or in .venv: install it with {REINSTALL} to get the new dependencies."
            )
        return True
    if declared <= environment.requires:
        if project_step:
            console.print(
                f"  [green]checked[/]  {_env_dir(environment)} has every dependency of "
                "pyproject.toml"
            )
        return True
    where = environment.python
    command = _install_command(environment)
    shown = escape(f"pip install {'-e ' if environment.editable else ''}'.[dev]'")
    if dry_run:
        console.print(f"  would reinstall the project into {_env_dir(environment)} ({shown})")
        return True
    if command is None:
        errors.print(
            f"[yellow]warning:[/] {where} has no pip (and uv is not on PATH): "
            f"run {REINSTALL} in that environment.",
            highlight=False,
        )
        return False
    with console.status(f"Reinstalling the project ({shown})..."):
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        errors.print(
            f"[yellow]warning:[/] reinstalling failed ({last}); run {REINSTALL} "
            "before using restack.",
            highlight=False,
        )
        return False
    console.print(
        f"  [green]reinstalled[/] the project into {_env_dir(environment)} ({shown}), "
        "with the new release's dependencies"
    )
    return True


def _env_dir(environment: Environment) -> str:
    folder = Path(environment.python).parent.parent
    with contextlib.suppress(ValueError):
        return str(folder.relative_to(Path.cwd()))
    return str(folder)


# ------------------------------------------------------------------ the upgrade


@dataclass
class Step:
    answers_file: Path
    before: str
    data: dict[str, Any] = field(default_factory=dict)
    turned_on: list[str] = field(default_factory=list)

    def describe(self, target: str) -> str:
        version = f"{self.before} → {target}" if self.before != target else f"stays {target}"
        extra = f", turning on {', '.join(self.turned_on)}" if self.turned_on else ""
        return f"{self.answers_file}: {version}{extra}"

    def commit_message(self, after: str) -> str:
        extra = f", with {', '.join(self.turned_on)}" if self.turned_on else ""
        return f"restack upgrade: {self.answers_file} {self.before} -> {after}{extra}"


class UpgradeError(Exception):
    """A step could not finish; the message says what to do."""


_SHORTCUTS = {"gh:": "https://github.com/", "gl:": "https://gitlab.com/"}


def latest_release(src_path: str) -> str | None:
    """The newest release tag of the template (what Copier would pick), or None."""
    from packaging.version import InvalidVersion, Version

    for prefix, url in _SHORTCUTS.items():  # Copier's abbreviations for hosted templates
        if src_path.startswith(prefix):
            src_path = url + src_path.removeprefix(prefix)
    listed = subprocess.run(
        ["git", "ls-remote", "--tags", src_path], capture_output=True, text=True, check=False
    )
    best: tuple[Version, str] | None = None
    for line in listed.stdout.splitlines():
        tag = line.rpartition("refs/tags/")[2]
        if not tag or tag.endswith("^{}"):
            continue
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease and (best is None or version > best[0]):
            best = (version, tag)
    return best[1] if best else None


def _parse_components(values: list[str] | None) -> list[OptionalComponent]:
    names = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    known = {option.name: option for option in OPTIONAL}
    unknown = [name for name in names if name not in known]
    if unknown:
        fail(
            f"--with {', '.join(unknown)}: no such component.",
            fix=f"Choose from {', '.join(known)} (comma-separated).",
            code=2,
        )
    return [known[name] for name in dict.fromkeys(names)]


def plan(
    source: TemplateSource, target: str, enable: list[OptionalComponent], components: bool
) -> list[Step]:
    root = source.root
    project = Step(Path(PROJECT_ANSWERS), str(source.answers.get("_commit", "unknown")))
    for option in enable:
        if source.answers.get(option.answer) is not True:
            project.data[option.answer] = True
            project.turned_on.append(option.name)
    steps = [project] if project.before != target or project.turned_on else []
    if components:
        for path in source.component_answers():
            before = str(read_answers(path).get("_commit", "unknown"))
            if before != target:
                steps.append(Step(path.relative_to(root), before))
    return steps


@contextlib.contextmanager
def _upgrade_environment() -> Iterator[None]:
    """Tell the template's migrations that `restack upgrade` reports the next steps itself."""
    from plumbum import local  # Copier runs its migrations through plumbum's environment

    with local.env(RESTACK_UPGRADE="1"):
        yield


def run_step(root: Path, step: Step, target: str) -> str:
    """Update one answers file; return the version it is on after. Raises UpgradeError."""
    import copier
    from copier.errors import TaskError, UserMessageError

    try:
        with _upgrade_environment():
            copier.run_update(
                str(root),
                data=step.data,
                answers_file=str(step.answers_file),
                vcs_ref=target,
                defaults=True,
                overwrite=True,
                unsafe=True,  # the template's extensions and migrations, as `copier --trust`
                conflict="inline",
                quiet=True,
            )
    except TaskError as error:
        raise UpgradeError(
            f"Updating {step.answers_file} stopped in the template's migration "
            "(its message is above)."
        ) from error
    except (UserMessageError, ValueError) as error:  # ValueError: an answer was refused
        raise UpgradeError(f"Updating {step.answers_file} failed: {error}") from error
    except Exception as error:  # Copier raises several unrelated types (git, I/O)
        raise UpgradeError(
            f"Updating {step.answers_file} failed: {type(error).__name__}: {error}"
        ) from error
    return str(read_answers(root / step.answers_file).get("_commit", "unknown"))


def _commit(root: Path, message: str) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    staged = subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=root, check=False)
    if staged.returncode != 0:
        subprocess.run(["git", "commit", "--quiet", "-m", message], cwd=root, check=True)


def _report_conflicts(step: Step, target: str, conflicts: list[str]) -> None:
    console.print(f"[yellow]{step.describe(target)}: conflicts in[/]")
    for path in conflicts:
        console.print(f"  [yellow]conflict[/]  {escape(path)}")


def _dry_run(source: TemplateSource, steps: list[Step], target: str) -> None:
    """Run the upgrade in a throwaway clone of the last commit and report what it did."""
    console.print(
        "[bold]Dry run:[/] the last commit, upgraded in a scratch copy "
        "(this project is not touched)"
    )
    if git_is_dirty(source.root):
        console.print("  [dim]uncommitted changes are not part of the preview[/]")
    with tempfile.TemporaryDirectory(prefix="restack-upgrade-") as scratch:
        clone = Path(scratch) / source.root.name
        subprocess.run(
            ["git", "clone", "--quiet", str(source.root), str(clone)],
            check=True,
            capture_output=True,
        )
        for step in steps:
            try:
                run_step(clone, step, target)
            except UpgradeError as error:
                console.print(f"  [red]{step.describe(target)}: {error}[/]")
                return
            changes = _git(clone, "status", "--porcelain").splitlines()  # new folders as one
            conflicts = conflicted_files(clone)
            console.print(f"  {step.describe(target)}:")
            for line in changes[:40]:
                name = line[3:].strip()
                status = _STATUS.get(line[:2].strip()[:1], "change")
                mark = "conflict" if name in conflicts else status
                console.print(f"      {mark:<8}  {name}")
            if len(changes) > 40:
                console.print(f"      ... and {len(changes) - 40} more")
            _commit(clone, step.commit_message(target))
            if step.answers_file == Path(PROJECT_ANSWERS):
                reinstall(source.root, project_step=True, dry_run=True, pyproject_root=clone)


_STATUS = {"M": "update", "A": "create", "?": "create", "D": "delete", "U": "conflict"}


def upgrade(
    with_: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            help="Also turn on components this project lacks: llm, tools, prompts "
            "(comma-separated or repeated)",
        ),
    ] = None,
    vcs_ref: str | None = typer.Option(
        None, "--vcs-ref", help="Template version to move to (default: the latest release)"
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change, in a scratch copy; change nothing"
    ),
    components: bool = typer.Option(True, help="Also update every component under .copier/"),
) -> None:
    """Update the project, then every component, to a newer template release."""
    enable = _parse_components(with_)
    source = template_source()
    root = source.root
    dirty = git_is_dirty(root)
    if dirty is None:
        fail(
            "This project is not a git repository; Copier needs git history to merge updates.",
            fix='Run `git init && git add -A && git commit -m "Initial commit"` first.',
        )
    conflicts = conflicted_files(root)
    if conflicts and not dry_run:
        fail(
            f"The last upgrade left conflicts in {', '.join(conflicts)}.",
            fix="Keep what you need between the conflict markers, delete the markers, "
            "commit, then run `restack upgrade` again to continue.",
        )
    if dirty and not dry_run:
        fail(
            "The git work tree has uncommitted changes; an upgrade would mix them with "
            "the template's changes.",
            fix="Commit or stash your changes (`git status` lists them), then run "
            "`restack upgrade` again.",
        )
    with redirected_to_mirror(source.src_path) as mirror:
        # Tags are listed from the mirror too: `git ls-remote` would need the network.
        target = vcs_ref or latest_release(str(mirror) if mirror else source.src_path)
        _upgrade_to(source, target, enable, components, dry_run=dry_run)


def _upgrade_to(
    source: TemplateSource,
    target: str | None,
    enable: list[OptionalComponent],
    components: bool,
    *,
    dry_run: bool,
) -> None:
    root = source.root
    if target is None:
        fail(
            f"The template at {source.src_path} has no release tags (vX.Y.Z) to upgrade to.",
            fix="Pass a version with --vcs-ref.",
        )
    steps = plan(source, target, enable, components)
    if dry_run:
        if not steps:
            console.print(f"Nothing to upgrade: the project and its components are on {target}.")
            return
        _dry_run(source, steps, target)
        return
    if not steps:
        console.print(f"Already up to date: the project and its components are on {target}.")
        if not reinstall(root, project_step=False):
            raise typer.Exit(1)
        return

    reinstalled = True
    project_changed = False
    for step in steps:
        with console.status(f"Updating {step.describe(target)}..."):
            try:
                after = run_step(root, step, target)
            except UpgradeError as error:
                fail(str(error), fix="Fix that, commit, and run `restack upgrade` again.")
        conflicts = conflicted_files(root)
        if conflicts:
            _report_conflicts(step, target, conflicts)
            fail(
                "Where you and the template changed the same lines, both versions are kept "
                "between conflict markers.",
                fix="Keep what you need in each file, delete the markers, commit, then run "
                "`restack upgrade` again to continue.",
            )
        _commit(root, step.commit_message(after))
        console.print(f"  [green]updated[/]  {step.describe(after)}")
        if step.answers_file == Path(PROJECT_ANSWERS):
            project_changed = True
            reinstalled = reinstall(root, project_step=True)
    if not project_changed:
        reinstalled = reinstall(root, project_step=False)
    console.print("[bold]Upgrade complete.[/] Review the commits with `git log -p`.")
    if not reinstalled:
        raise typer.Exit(1)


def register_missing_components(
    app: typer.Typer,
    generators: typer.Typer,
    installed_answers: set[str],
    package_root: Path | None = None,
) -> None:
    """Commands of components the project lacks say how to add them, not 'No such command'.

    A component whose package is in `package_root` (this package) but did not load lacks
    its dependencies in this environment: its commands say to reinstall.
    """
    package_root = package_root or Path(__file__).resolve().parents[1]
    for option in OPTIONAL:
        if option.answer in installed_answers:
            continue
        present = (package_root / option.package).is_dir()
        for command in option.commands:
            group, _, name = command.rpartition(" ")
            target = generators if group == "g" else app
            # Hidden: `--help` lists what the project has; calling one says how to get it.
            target.command(
                name,
                context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                hidden=True,
            )(_missing(command, option, present))


def _missing(command: str, option: OptionalComponent, present: bool) -> Any:
    def missing() -> None:
        if present:
            fail(
                f"`restack {command}` needs {option.title}, whose packages are missing from "
                "this environment.",
                # fail() escapes its text itself.
                fix=f"Reinstall the project: {REINSTALL_COMMAND}",
                code=2,
            )
        fail(
            f"`restack {command}` needs {option.title}, which this project does not have.",
            fix=f"Commit your work, run `restack upgrade --with {option.name}`, then run "
            "this command again.",
            code=2,
        )

    return missing
