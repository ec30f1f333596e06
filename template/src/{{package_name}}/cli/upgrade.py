"""`restack upgrade`: move the project and each component to a newer template version.

Copier's three-way merge keeps your edits; where you and the template changed the same
lines it leaves conflict markers. Copier needs a clean git tree for every update, so each
successful step is committed before the next one starts.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import typer

from .console import console, fail
from .template import PROJECT_ANSWERS, git_is_dirty, read_answers, template_source

_CONFLICT_MARKER = "<<<<<<< before updating"


def _conflicted_files(root: Path) -> list[str]:
    result = subprocess.run(
        ["git", "diff", "--name-only", "--diff-filter=U"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    unmerged = set(result.stdout.split())
    changed = subprocess.run(
        ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=False
    )
    for line in changed.stdout.splitlines():
        path = root / line[3:].strip()
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8", errors="ignore")
            except OSError:
                continue
            # A marker counts only at the start of a line: docs may quote one in prose.
            if any(row.startswith(_CONFLICT_MARKER) for row in text.splitlines()):
                unmerged.add(line[3:].strip())
    return sorted(unmerged)


def _commit(root: Path, message: str) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    staged = subprocess.run(["git", "diff", "--cached", "--quiet"], cwd=root, check=False)
    if staged.returncode != 0:
        subprocess.run(["git", "commit", "--quiet", "-m", message], cwd=root, check=True)


def upgrade(
    vcs_ref: str | None = typer.Option(
        None, "--vcs-ref", help="Template version to move to (default: the latest tag)"
    ),
    components: bool = typer.Option(True, help="Also update every component under .copier/"),
) -> None:
    """Update the project, then every component, to a newer template version."""
    import copier

    source = template_source()
    root = source.root
    dirty = git_is_dirty(root)
    if dirty is None:
        fail(
            "This project is not a git repository; Copier needs git history to merge updates.",
            fix='Run `git init && git add -A && git commit -m "Initial commit"` first.',
        )
    if dirty:
        fail(
            "The git work tree has uncommitted changes; an upgrade would mix them with "
            "the template's changes.",
            fix="Commit or stash your changes (`git status` lists them), then run "
            "`restack upgrade` again.",
        )

    targets = [Path(PROJECT_ANSWERS)]
    if components:
        targets += [path.relative_to(root) for path in source.component_answers()]
    for answers_file in targets:
        before = read_answers(root / answers_file).get("_commit", "unknown")
        with console.status(f"Updating {answers_file} (from {before})..."):
            try:
                copier.run_update(
                    str(root),
                    answers_file=str(answers_file),
                    vcs_ref=vcs_ref,
                    defaults=True,
                    overwrite=True,
                    unsafe=True,
                    conflict="inline",
                    quiet=True,
                )
            except Exception as error:  # Copier raises several unrelated types here
                fail(f"Updating {answers_file} failed: {error}")
        after = read_answers(root / answers_file).get("_commit", "unknown")
        conflicts = _conflicted_files(root)
        if conflicts:
            console.print(f"[yellow]{answers_file}: {before} → {after} with conflicts in:[/]")
            for path in conflicts:
                console.print(f"  [yellow]conflict[/]  {path}")
            fail(
                "Resolve the conflict markers (<<<<<<< before updating / >>>>>>> after "
                "updating), commit, then run `restack upgrade` again to continue.",
            )
        _commit(root, f"restack upgrade: {answers_file} {before} -> {after}")
        console.print(f"  [green]updated[/]  {answers_file}: {before} → {after}")
    console.print("[bold]Upgrade complete.[/] Review the commits with `git log -p`.")
