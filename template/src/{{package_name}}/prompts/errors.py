# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Errors of the prompt registry: config/prompts.yaml, the prompt files, versions,
formatting and `restack g prompt`. Each message names the prompt, version or file.
"""

from __future__ import annotations

from ..common.errors import RestackAppError


class PromptError(RestackAppError):
    """Base of every prompt registry error."""

    fix = "Check the registry and its files with `restack doctor --check-prompts`."


class PromptConfigError(PromptError):
    """config/prompts.yaml is missing, unreadable, or an entry breaks the schema."""

    fix = "Correct config/prompts.yaml (docs/prompts.md describes its entries)."


class PromptNotFoundError(PromptError, LookupError):
    """No prompt of that name is registered."""


class PromptVersionNotFoundError(PromptError, LookupError):
    """The prompt exists but no registered version satisfies the request."""

    fix = "Ask for one of the available versions, or register the one you need."


class PromptFileError(PromptError):
    """A registered file is missing, outside prompts/, or its frontmatter/body is invalid."""


class PromptScaffoldError(PromptError):
    """`restack g prompt` refused; nothing was written."""

    exit_code = 2
    fix = "Nothing was written; correct what the message names and run the command again."


class InvalidVersionError(PromptError, ValueError):
    """A registry key, a `latest` value or a requested version is not usable."""

    fix = "Write versions as MAJOR.MINOR.PATCH (e.g. 1.2.0), requests also as 1, 1.2, ^1.2 or ~1.2."


class PromptFormatError(PromptError, ValueError):
    """A template uses something other than `{name}`, or a brace is unbalanced."""

    fix = "Use plain {name} placeholders only; write {{ and }} for literal braces."


class MissingPromptVariablesError(PromptError, KeyError):
    """`format` was called without a value for one or more placeholders."""

    fix = "Pass a value for each placeholder the prompt uses."

    def __init__(self, missing: list[str], prompt: str = "") -> None:
        self.missing = missing
        where = f" of prompt '{prompt}'" if prompt else ""
        super().__init__(
            f"missing value(s) for placeholder(s){where}: {', '.join(missing)}; "
            "pass each one as a keyword argument"
        )

    def __str__(self) -> str:
        # KeyError's own __str__ would show the message quoted, as a key.
        return str(self.args[0])


class PromptVariableTypeError(PromptError, TypeError):
    """A value is not text or a number."""

    fix = "Turn lists, dicts and models into text yourself (e.g. with json.dumps)."
