# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The root of every error this project raises for a person to act on.

Each part has its own family below `RestackAppError`: `llm/errors.py`, `mcp/errors.py`,
`prompts/errors.py`, `ClientError` in `client.py`, `EngineError`, `TemplateError` and
`InvalidNameError`. An error carries its `fix` (what to do about it) beside the message,
and the `restack` command prints any of them the same way, as two lines:

    error: No tool server named 'search' in config/tools.yaml (configured: text).
    fix: Add it there, or generate one with `restack g tool-server search`.

and exits with the error's `exit_code`: 2 when the input was wrong, 1 otherwise.
Errors that callers also catch as a builtin (ValueError, LookupError) inherit it too.
"""

from __future__ import annotations


class RestackAppError(Exception):
    """A problem a person can fix; `fix` says how."""

    fix: str = ""
    """What to do about it; each family sets a default, a raise site may say more."""
    exit_code: int = 1
    """The `restack` command's exit status for it: 2 for bad input, 1 otherwise."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        if fix is not None:
            self.fix = fix


def explain(error: BaseException) -> str:
    """The message and, for errors of this project, the fix, on one line (for logs and
    failures that reach the engine, where there is no second line)."""
    fix = error.fix if isinstance(error, RestackAppError) else ""
    return f"{error} (fix: {fix})" if fix else str(error)
