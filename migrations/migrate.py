"""Template migrations: Copier runs this script on every `copier update`, before and after.

Copier calls it twice per update (`$STAGE` is `before`, then `after`), in the project's
root, for the project and for each component (every component has its own answers file
and its own update). Each release's steps are registered under its version in
`MIGRATIONS`; a step runs when the update crosses that version
(`from < version <= to`) and the answers file is of a kind the step is for. Every step is
idempotent, so running the script twice changes nothing more.

On every update, whatever the versions, the answers file is checked first: unknown keys
and yes/no questions answered with anything but true or false stop the update before
Copier writes anything into the project.

Only the standard library, PyYAML and packaging are used (both are Copier dependencies):
the script runs with Copier's interpreter, which may be a pipx or uv tool environment.

Usage (from `_migrations` in copier.yml):
    migrate.py ANSWERS_FILE DATA_JSON
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.version import Version

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
PROJECT_ANSWERS = Path(".copier-answers.yml")
# Copier's own keys in an answers file.
COPIER_KEYS = {"_commit", "_src_path"}
# Strings Copier reads as yes/no answers given with `--data`.
BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f", "on", "off", "1", "0"}
# Copier's labels for the three sides of a merge; `restack upgrade` looks for them.
MERGE_LABELS = ("before updating", "last update", "after updating")
# The marker lines Copier writes, spelled so that this file does not contain them.
CONFLICT_MARKERS = {"<" * 7 + " before updating", ">" * 7 + " after updating"}


class MigrationError(Exception):
    """The update cannot go on; the message says which file, why, and what to do."""


@dataclass
class Update:
    """One `copier update` of one answers file, as Copier describes it to migrations."""

    stage: str
    answers_file: Path
    answers: dict[str, Any]
    version_from: Version
    version_to: Version
    commit_from: str
    commit_to: str
    data: dict[str, Any]
    messages: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.answers.get("kind", "project"))

    @property
    def package(self) -> str:
        return str(self.answers.get("package_name", ""))

    def say(self, message: str) -> None:
        print(f"restack-template: {message}", file=sys.stderr)


# ------------------------------------------------------------------ registered steps


@dataclass(frozen=True)
class KeepOff:
    """Questions a release adds whose features stay off for projects made before it.

    The release's default is "on" for new projects; an existing project gets them only
    when its user asks (`restack upgrade --with ...` or `copier update --data ...`).
    """

    answers: tuple[str, ...]
    how_to_enable: str
    stage: str = "before"
    kinds: tuple[str, ...] = ("project",)

    def __call__(self, update: Update) -> None:
        missing = [name for name in self.answers if name not in update.answers]
        if not missing:
            return
        for name in missing:
            update.answers[name] = False
        text = update.answers_file.read_text(encoding="utf-8")
        added = "".join(f"{name}: false\n" for name in missing)
        update.answers_file.write_text(text.rstrip("\n") + "\n" + added, encoding="utf-8")
        requested = [name for name in missing if _truthy(update.data.get(name))]
        kept = [name for name in missing if name not in requested]
        if kept:
            update.say(
                f"{update.version_to} adds {', '.join(kept)}; this project keeps them off "
                f"({self.how_to_enable})."
            )


@dataclass(frozen=True)
class Move:
    """A release moves a file: carry the user's edits to its new place.

    Copier deletes a file the new template no longer has, edits and all. After the update,
    the user's version (still in `HEAD`: Copier needs a clean tree) is compared with what
    the old release rendered; if it was edited, the edits are merged into the file at its
    new place, with conflict markers where they clash with the release's own changes.
    `source` and `target` are project paths; `{package}` stands for the package name.
    The old release must render `source` from a file without Jinja (`.jinja` suffix).
    """

    source: str
    target: str
    stage: str = "after"
    kinds: tuple[str, ...] = ("project",)

    def __call__(self, update: Update) -> None:
        source = self.source.format(package=update.package)
        target = self.target.format(package=update.package)
        mine = _git_show(Path.cwd(), f"HEAD:{source}")
        if mine is None or Path(source).exists():
            return  # never there, deleted by the user, or already carried over
        original = _git_show(
            TEMPLATE_ROOT,
            f"{update.commit_from}:{_template_path(update.kind, self.source)}",
        )
        if original is not None and mine == original:
            return  # not edited: nothing of the user's to carry
        target_path = Path(target)
        if original is None or not target_path.is_file():
            Path(source).write_text(mine, encoding="utf-8")
            why = (
                f"the {update.version_from} original of {source} cannot be read from the "
                "template"
                if original is None
                else f"{update.version_to} no longer has {target}"
            )
            raise MigrationError(
                f"{update.version_to} moves {source} to {target}, and your edits to "
                f"{source} could not be carried over automatically ({why}). Your version "
                f"is back at {source}: move your edits into {target}, delete {source}, "
                "and commit."
            )
        current = target_path.read_text(encoding="utf-8")
        if has_conflict_markers(current):
            return  # carried over by an earlier run, conflicts still to resolve
        merged, conflicts = _merge(mine, original, current)
        target_path.write_text(merged, encoding="utf-8")
        outcome = (
            f"with {conflicts} conflict(s) to resolve in {target}"
            if conflicts
            else f"merged into {target}"
        )
        update.say(f"{update.version_to} moves {source} to {target}; your edits were {outcome}.")


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"true", "yes", "y", "on", "t", "1"}


def _template_path(kind: str, project_path: str) -> str:
    root = "template" if kind == "project" else f"generators/{kind}"
    return f"{root}/{project_path.format(package='{{package_name}}')}"


Step = Callable[[Update], None]

# Steps of each release, in order. Add a release's entry when it moves, renames or
# removes a file users edit, or adds questions existing projects should answer "no" to.
MIGRATIONS: dict[str, list[Any]] = {
    "2.0.0": [
        KeepOff(
            answers=("with_llm", "with_tools", "with_prompts"),
            how_to_enable="turn them on with `restack upgrade --with llm,tools,prompts`",
        ),
        Move("src/{package}/testing.py", "src/{package}/testing/__init__.py"),
    ],
}


# ------------------------------------------------------------------ answers checks


def template_questions() -> dict[str, dict[str, Any]]:
    config = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text(encoding="utf-8"))
    return {
        key: value if isinstance(value, dict) else {}
        for key, value in config.items()
        if not key.startswith("_")
    }


def check_answers(where: str, answers: dict[str, Any], *, given: bool = False) -> None:
    """Refuse typos before Copier quietly reads them as something else.

    `given` answers come from `--data`, where true and false may be spelled as words.
    """
    questions = template_questions()
    fix = "correct that answer" if given else "correct or delete that line and commit"
    for key, value in answers.items():
        if key not in questions and key not in COPIER_KEYS:
            raise MigrationError(
                f"{where}: unknown answer '{key}' (the template asks "
                f"{', '.join(sorted(questions))}); {fix}."
            )
        if questions.get(key, {}).get("type") != "bool" or isinstance(value, bool):
            continue
        if not (given and str(value).strip().lower() in BOOL_WORDS):
            raise MigrationError(
                f"{where}: {key} must be true or false, not {value!r}; {fix}."
            )


def load_answers(path: Path) -> dict[str, Any]:
    try:
        answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise MigrationError(f"{path} cannot be read ({error}); restore it from git.") from error
    if not isinstance(answers, dict):
        raise MigrationError(f"{path} should hold a mapping of answers; restore it from git.")
    return answers


# ------------------------------------------------------------------ git helpers


def _git_show(repo: Path, spec: str) -> str | None:
    result = subprocess.run(
        ["git", "show", spec], cwd=repo, capture_output=True, text=True, check=False
    )
    return result.stdout if result.returncode == 0 else None


def _merge(mine: str, original: str, theirs: str) -> tuple[str, int]:
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder, name) for name in ("mine", "original", "theirs")]
        for path, text in zip(paths, (mine, original, theirs), strict=True):
            path.write_text(text, encoding="utf-8")
        labels = [arg for label in MERGE_LABELS for arg in ("-L", label)]
        result = subprocess.run(
            ["git", "merge-file", "-p", *labels, *map(str, paths)],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode < 0 or result.returncode > 127:
        raise MigrationError(f"git merge-file failed: {result.stderr.strip()}")
    return result.stdout, result.returncode


# ------------------------------------------------------------------ entry point


def releases_crossed(update: Update) -> list[str]:
    return [
        version
        for version in sorted(MIGRATIONS, key=Version)
        if update.version_from < Version(version) <= update.version_to
    ]


def run(update: Update) -> None:
    if update.stage == "before":
        check_answers(str(update.answers_file), update.answers)
        check_answers("--data", update.data, given=True)
    for version in releases_crossed(update):
        for step in MIGRATIONS[version]:
            if step.stage == update.stage and update.kind in step.kinds:
                step(update)
    if update.stage == "after" and not os.environ.get("RESTACK_UPGRADE"):
        # `restack upgrade` does all of this itself; a plain `copier update` says it.
        report_next_steps(update)


def report_next_steps(update: Update) -> None:
    """What a plain `copier update` leaves to do: conflicts, components, reinstalling."""
    conflicts = conflicted_files(Path.cwd())
    if conflicts:
        update.say(
            f"CONFLICTS in {', '.join(conflicts)}: keep what you need between the conflict "
            "markers, delete the markers, then commit."
        )
    if update.kind != "project":
        return
    behind = [
        path
        for path in sorted(Path(".copier").glob("*.yml"))
        if str(load_answers(path).get("_commit")) != update.commit_to
    ]
    if behind:
        update.say(
            "the components are still on their old version; after committing, update each:"
        )
        for path in behind:
            print(f"    copier update --trust --defaults -a {path.as_posix()}", file=sys.stderr)
    changed = subprocess.run(
        ["git", "diff", "--quiet", "HEAD", "--", "pyproject.toml"], check=False
    ).returncode
    if changed:
        update.say(
            "pyproject.toml changed: reinstall the project (pip install -e '.[dev]') "
            "before running restack."
        )
    if behind or changed:
        update.say("`restack upgrade` does all of this for you next time.")


def has_conflict_markers(text: str) -> bool:
    return any(line.rstrip() in CONFLICT_MARKERS for line in text.splitlines())


def conflicted_files(root: Path) -> list[str]:
    """Files with conflict markers: unmerged in the index, or carrying markers in the work tree."""
    unmerged = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    found = set(unmerged)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in status.splitlines():
        name = line[3:].strip()
        path = root / name
        try:
            text = path.read_text(encoding="utf-8", errors="ignore") if path.is_file() else ""
        except OSError:
            continue
        if has_conflict_markers(text):
            found.add(name)
    return sorted(found)


def main(argv: list[str]) -> int:
    answers_file = Path(argv[1]) if len(argv) > 1 else PROJECT_ANSWERS
    if not answers_file.is_file():
        # Before rendering, Copier only knows the answers file it was given with -a;
        # without -a it updates the project's.
        answers_file = PROJECT_ANSWERS
    data = json.loads(argv[2]) if len(argv) > 2 and argv[2] else {}
    env = os.environ
    try:
        update = Update(
            stage=env.get("STAGE", "after"),
            answers_file=answers_file,
            answers=load_answers(answers_file),
            version_from=Version(env["VERSION_PEP440_FROM"]),
            version_to=Version(env["VERSION_PEP440_TO"]),
            commit_from=env.get("VERSION_FROM", ""),
            commit_to=env.get("VERSION_TO", ""),
            data=data if isinstance(data, dict) else {},
        )
        run(update)
    except MigrationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
