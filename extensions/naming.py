"""Jinja filters and tests that turn user-supplied names into Python names and paths.

Loaded by Copier through copier-template-extensions (see ``_jinja_extensions`` in
``copier.yml``). The generated project's ``restack`` command validates names with the
same rules before it calls Copier, so both layers agree on what a valid name is.
"""

from __future__ import annotations

import keyword
import re

from jinja2 import Environment
from jinja2.ext import Extension

_WORD_BOUNDARY = re.compile(r"[^A-Za-z0-9]+")
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_KEBAB_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_COMPONENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*([_-][A-Za-z0-9]+)*$")


def words(value: str) -> list[str]:
    """Split ``ResearchAgent``, ``research-agent`` or ``research_agent`` into lowercase words."""
    parts: list[str] = []
    for chunk in _WORD_BOUNDARY.split(str(value)):
        parts.extend(piece for piece in _CAMEL_HUMP.split(chunk) if piece)
    return [part.lower() for part in parts]


def snake(value: str) -> str:
    return "_".join(words(value))


def kebab(value: str) -> str:
    return "-".join(words(value))


def pascal(value: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in words(value))


def constant(value: str) -> str:
    return snake(value).upper()


def project_name_error(value: str) -> str:
    """Return an error message for an invalid project name, or "" when it is valid."""
    if not _KEBAB_NAME.match(str(value)):
        return (
            f"'{value}' is not a valid project name: use lowercase letters, digits and "
            "single dashes, starting with a letter (for example: research-agent)."
        )
    return ""


def package_name_error(value: str) -> str:
    """Return an error message for an invalid Python package name, or "" when valid."""
    text = str(value)
    if not text.isidentifier() or text != text.lower():
        return (
            f"'{value}' is not a valid package name: use a lowercase Python identifier "
            "(letters, digits and underscores, not starting with a digit), "
            "for example: research_agent."
        )
    if keyword.iskeyword(text) or keyword.issoftkeyword(text):
        return f"'{value}' is a Python keyword and cannot be a package name; pick another name."
    return ""


def email_error(value: str) -> str:
    """Return an error message for an invalid email address, or "" when valid."""
    if not _EMAIL.match(str(value)):
        return f"'{value}' is not an email address (expected something like ada@example.com)."
    return ""


def component_name_error(value: str, kind: str = "component") -> str:
    """Return an error message for an invalid generator name, or "" when valid."""
    text = str(value)
    if not _COMPONENT_NAME.match(text):
        return (
            f"'{value}' is not a valid {kind} name: start with a letter and use letters, "
            "digits, '-' or '_' (for example: ResearchAgent or research-agent)."
        )
    module = snake(text)
    if keyword.iskeyword(module) or keyword.issoftkeyword(module):
        return f"'{value}' becomes the Python keyword '{module}'; pick another {kind} name."
    return ""


class NamingExtension(Extension):
    """Registers the naming filters and validators with Copier's Jinja environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(
            snake=snake,
            kebab=kebab,
            pascal=pascal,
            constant=constant,
            project_name_error=project_name_error,
            package_name_error=package_name_error,
            component_name_error=component_name_error,
            email_error=email_error,
        )
