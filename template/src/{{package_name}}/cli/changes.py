# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""What a generator writes, decided before anything is written (Rails' conventions).

A generator describes every file it would write as a `FileChange`: the new content and
what the project holds there now. Each one then gets an action:

- `create`: the file does not exist yet;
- `identical`: it exists with the same content (nothing to do);
- `update`: a shared registry (config/tools.yaml, config/prompts.yaml) gains an entry;
- `conflict`: it exists with other content, and nothing at all is written, unless
  `--force` (overwrite it: `force`) or `--skip` (keep it, write the rest: `skip`).

`--pretend` prints the actions and writes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import typer

from ..common.files import write_atomic
from .console import console, fail

Action = Literal["create", "identical", "update", "conflict", "force", "skip"]
OnConflict = Literal["refuse", "force", "skip"]

_STYLE: dict[Action, str] = {
    "create": "green",
    "identical": "blue",
    "update": "green",
    "conflict": "red",
    "force": "yellow",
    "skip": "yellow",
}
_ON_CONFLICT: dict[OnConflict, Action] = {"refuse": "conflict", "force": "force", "skip": "skip"}
_WRITES: frozenset[Action] = frozenset({"create", "update", "force"})

Force = Annotated[
    bool, typer.Option("--force", "-f", help="Overwrite files that exist with other content")
]
Skip = Annotated[
    bool, typer.Option("--skip", "-s", help="Keep files that exist with other content")
]
Pretend = Annotated[
    bool, typer.Option("--pretend", "-p", help="Show what would be written; write nothing")
]


@dataclass(frozen=True)
class WriteOptions:
    force: bool = False
    skip: bool = False
    pretend: bool = False

    @property
    def on_conflict(self) -> OnConflict:
        return "force" if self.force else "skip" if self.skip else "refuse"


def write_options(force: bool, skip: bool, pretend: bool) -> WriteOptions:
    if force and skip:
        fail("--force and --skip contradict each other.", fix="Pass only one of them.", code=2)
    return WriteOptions(force=force, skip=skip, pretend=pretend)


@dataclass(frozen=True)
class FileChange:
    path: str
    """Relative to the project root, with '/' separators."""
    content: bytes
    current: bytes | None
    """What the project holds at `path` now; None when there is no file."""
    edit: bool = False
    """A shared registry this change means to modify (so a difference is no conflict)."""
    clash: str = ""
    """For an edit: why the registry's current entry collides with the new one."""
    note: str = ""
    """Shown after the path, e.g. what the conflict is about."""

    def action(self, on_conflict: OnConflict = "refuse") -> Action:
        if self.current is None:
            return "create"
        if self.current == self.content:
            return "identical"
        if self.edit and not self.clash:
            return "update"
        return _ON_CONFLICT[on_conflict]


def current_content(root: Path, relative: str) -> bytes | None:
    """The bytes at `relative` in the project, None when absent; refuses a folder there."""
    target = root / relative
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        fail(f"{relative} is a folder; a generator would write a file there.", code=2)
    except OSError as error:
        fail(f"Cannot read {relative}: {error.strerror or error}.", code=2)


def change(
    root: Path, relative: str, content: str | bytes, *, edit: bool = False, clash: str = ""
) -> FileChange:
    data = content.encode("utf-8") if isinstance(content, str) else content
    return FileChange(relative, data, current_content(root, relative), edit=edit, clash=clash)


def carry_out(
    root: Path, changes: Sequence[FileChange], options: WriteOptions
) -> list[tuple[FileChange, Action]]:
    """Print each change's action, then write them all, or refuse (exit 2) writing none."""
    decided = [(item, item.action(options.on_conflict)) for item in changes]
    for item, action in decided:
        note = item.clash or item.note if action in ("conflict", "force", "skip") else item.note
        suffix = f"  ({note})" if note else ""
        line = f"[{_STYLE[action]}]{action:>10}[/]  {item.path}{suffix}"
        console.print(line, highlight=False, soft_wrap=True)
    conflicts = [item.path for item, action in decided if action == "conflict"]
    if conflicts:
        what = (
            f"{conflicts[0]} already exists"
            if len(conflicts) == 1
            else f"{len(conflicts)} files already exist"
        )
        listed = "" if len(conflicts) == 1 else f": {', '.join(conflicts)}"
        fail(
            f"{what} with different content{listed}. Nothing was written.",
            fix="Pass --force to overwrite, or --skip to keep the existing files and write "
            "the rest (--pretend shows the result first).",
            code=2,
        )
    if options.pretend:
        console.print("Nothing was written (--pretend).")
        return decided
    write_all(root, [item for item, action in decided if action in _WRITES])
    return decided


def write_all(root: Path, changes: Sequence[FileChange]) -> None:
    """Write every change or, when one write fails, put back what the others replaced."""
    done: list[FileChange] = []
    made_dirs: list[Path] = []
    try:
        for item in changes:
            target = root / item.path
            missing = [d for d in (target.parent, *target.parent.parents) if not d.exists()]
            for directory in reversed(missing):
                directory.mkdir()
                made_dirs.append(directory)
            write_atomic(target, item.content)
            done.append(item)
    except BaseException:
        for item in reversed(done):
            with contextlib.suppress(OSError):
                if item.current is None:
                    (root / item.path).unlink()
                else:
                    write_atomic(root / item.path, item.current)
        for directory in reversed(made_dirs):
            with contextlib.suppress(OSError):
                directory.rmdir()
        raise


def summary(decided: Sequence[tuple[FileChange, Action]], options: WriteOptions) -> str:
    """'' when something was (or would be) written; otherwise why nothing changed."""
    if any(action in _WRITES for _, action in decided):
        return ""
    if all(action == "identical" for _, action in decided):
        return "Everything is already in place; nothing to write."
    return "Nothing to write: the existing files were kept (--skip)."
