# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""One console for the `restack` command, and the one way commands fail.

Every error of the project's tree (`common/errors.py`) that a command lets through is
printed by `ReportingGroup` as `error: <message>` and `fix: <fix>`, with no traceback,
and ends the command with the error's exit code; commands only catch errors whose exit
code or wording they need to change.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from ..common.errors import RestackAppError

# Output that is not a terminal (CI logs, pipes, tests) keeps whole names and paths
# instead of being cut to the 80 columns rich assumes there.
_PIPE_WIDTH = 160
console = Console(width=None if sys.stdout.isatty() else _PIPE_WIDTH)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else _PIPE_WIDTH)


def fail(message: str, *, fix: str | None = None, code: int = 1) -> NoReturn:
    """Print what went wrong (and how to fix it) to stderr and exit with `code`."""
    # Escaped: messages quote names and config values, which may look like markup.
    # soft_wrap: one line each, however long, so logs and greps see them whole.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if fix:
        errors.print(f"[bold]fix:[/] {escape(fix)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def report(error: RestackAppError, *, code: int | None = None) -> NoReturn:
    """Fail with `error`'s message and fix (and its exit code unless `code` is given)."""
    fail(str(error), fix=error.fix or None, code=code or error.exit_code)


class ReportingGroup(TyperGroup):
    """The `restack` command group: reports errors of the project's tree as `fail` does."""

    # Any: newer typer releases bring their own copy of click's Context class.
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except RestackAppError as error:
            report(error)
