"""One console for the `restack` command, and the way commands fail."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

console = Console()
errors = Console(stderr=True)


def fail(message: str, *, fix: str | None = None, code: int = 1) -> NoReturn:
    """Print what went wrong (and how to fix it) to stderr and exit with `code`."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False)
    if fix:
        errors.print(f"[bold]fix:[/] {fix}", highlight=False)
    raise typer.Exit(code)
