"""A Jinja filter that writes a value as a Python string literal, as `ruff format` would."""

from __future__ import annotations

from jinja2 import Environment
from jinja2.ext import Extension


def python_string(value: object) -> str:
    """`repr` of the text, in double quotes unless that needs more escapes (ruff's rule)."""
    text = str(value)
    if '"' in text and "'" not in text:
        return repr(text)  # repr picks single quotes here
    literal = repr(text)
    if literal.startswith("'"):
        body = literal[1:-1].replace("\\'", "'").replace('"', '\\"')
        return f'"{body}"'
    return literal


class LiteralsExtension(Extension):
    """Registers `python_string` with Copier's Jinja environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(python_string=python_string)
