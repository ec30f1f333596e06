"""One console for the `restack` command, and the way commands fail."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

# Output that is not a terminal (CI logs, pipes, tests) keeps whole names and paths
# instead of being cut to the 80 columns rich assumes there.
_PIPE_WIDTH = 160
console = Console(width=None if sys.stdout.isatty() else _PIPE_WIDTH)
errors = Console(stderr=True, width=None if sys.stderr.isatty() else _PIPE_WIDTH)


def fail(message: str, *, fix: str | None = None, code: int = 1) -> NoReturn:
    """Print what went wrong (and how to fix it) to stderr and exit with `code`."""
    # soft_wrap: one line per message however long, so logs and greps keep it whole.
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if fix:
        errors.print(f"[bold]fix:[/] {escape(fix)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)
