# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Name rules: how a user's name becomes a module, class or file name, and which names
are refused.

This file is the only copy of the rules. The template's Copier extension
(`extensions/naming.py`) loads it by path, so the Jinja filters that name generated files
and the `restack` command that checks a name first can never disagree. Keep it free of
imports from the rest of the package other than `.errors`.
"""

from __future__ import annotations

import keyword
import re

from .errors import RestackAppError

_BOUNDARY = re.compile(r"[^A-Za-z0-9]+")
_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_COMPONENT = re.compile(r"^[A-Za-z][A-Za-z0-9]*([_-][A-Za-z0-9]+)*$")
_PROJECT = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

MAX_NAME_LENGTH = 100
"""Longest module name a name may become. Generated file names add up to 16 characters
(`.copier/tool-server-<name>.yml`) and file systems stop at 255 bytes; a short limit
also keeps class and file names readable."""


class InvalidNameError(RestackAppError, ValueError):
    """A component name that cannot become a Python module and file name."""

    exit_code = 2
    fix = "Pick another name."


def words(value: str) -> list[str]:
    """`ResearchAgent`, `research-agent` and `research_agent` all give research, agent."""
    parts: list[str] = []
    for chunk in _BOUNDARY.split(str(value)):
        parts.extend(piece for piece in _HUMP.split(chunk) if piece)
    return [part.lower() for part in parts]


def snake(value: str) -> str:
    return "_".join(words(value))


def kebab(value: str) -> str:
    return "-".join(words(value))


def pascal(value: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in words(value))


def constant(value: str) -> str:
    return snake(value).upper()


def _shown(value: str) -> str:
    """`value` quoted for a one-line message, shortened when it is very long."""
    return f"'{value}'" if len(value) <= 40 else f"'{value[:24]}...' ({len(value)} characters)"


def _too_long(value: str, name: str, kind: str) -> tuple[str, str] | None:
    if len(name) <= MAX_NAME_LENGTH:
        return None
    article = "an" if kind[:1] in ("a", "e", "i", "o", "u") else "a"
    return (
        f"{_shown(value)} is too long for {article} {kind} name.",
        f"Use at most {MAX_NAME_LENGTH} characters.",
    )


def component_name_problem(value: str, kind: str) -> tuple[str, str] | None:
    """(what is wrong, how to fix it) for a name `restack g <kind>` cannot use, else None."""
    text = str(value)
    if not _COMPONENT.match(text):
        return (
            f"{_shown(text)} is not a valid {kind} name.",
            "Start with a letter and use letters, digits, '-' or '_' "
            "(for example: ResearchAgent or research-agent).",
        )
    module = snake(text)
    too_long = _too_long(text, module, kind)
    if too_long:
        return too_long
    if keyword.iskeyword(module) or keyword.issoftkeyword(module):
        return (
            f"{_shown(text)} becomes the Python keyword '{module}'.",
            f"Pick another {kind} name.",
        )
    return None


def check_component_name(value: str, kind: str) -> str:
    """The module name for `value`; raises InvalidNameError saying what is valid."""
    problem = component_name_problem(value, kind)
    if problem:
        raise InvalidNameError(problem[0], fix=problem[1])
    return snake(value)


def project_name_problem(value: str) -> tuple[str, str] | None:
    text = str(value)
    if not _PROJECT.match(text):
        return (
            f"{_shown(text)} is not a valid project name.",
            "Use lowercase letters, digits and single dashes, starting with a letter "
            "(for example: research-agent).",
        )
    return _too_long(text, text, "project")


def package_name_problem(value: str) -> tuple[str, str] | None:
    text = str(value)
    if not text.isidentifier() or text != text.lower():
        return (
            f"{_shown(text)} is not a valid package name.",
            "Use a lowercase Python identifier: letters, digits and underscores, not "
            "starting with a digit (for example: research_agent).",
        )
    if keyword.iskeyword(text) or keyword.issoftkeyword(text):
        return (f"{_shown(text)} is a Python keyword.", "Pick another package name.")
    return _too_long(text, text, "package")


def as_message(problem: tuple[str, str] | None) -> str:
    """A problem as the one line a Copier validator shows; "" when there is none."""
    return " ".join(problem) if problem else ""
