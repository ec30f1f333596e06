"""Name rules for generated components; the template's Jinja filters follow the same rules."""

from __future__ import annotations

import keyword
import re

_BOUNDARY = re.compile(r"[^A-Za-z0-9]+")
_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_VALID = re.compile(r"^[A-Za-z][A-Za-z0-9]*([_-][A-Za-z0-9]+)*$")


class InvalidNameError(ValueError):
    pass


def snake(value: str) -> str:
    """`ResearchAgent`, `research-agent` and `research_agent` all become `research_agent`."""
    words = [w for chunk in _BOUNDARY.split(value) for w in _HUMP.split(chunk) if w]
    return "_".join(word.lower() for word in words)


def pascal(value: str) -> str:
    return "".join(word.capitalize() for word in snake(value).split("_"))


def check_component_name(value: str, kind: str) -> str:
    """Return the module name for `value`, or raise InvalidNameError saying what is valid."""
    if not _VALID.match(value):
        raise InvalidNameError(
            f"'{value}' is not a valid {kind} name: start with a letter and use letters, "
            "digits, '-' or '_' (for example: ResearchAgent or research-agent)."
        )
    module = snake(value)
    if keyword.iskeyword(module) or keyword.issoftkeyword(module):
        raise InvalidNameError(
            f"'{value}' becomes the Python keyword '{module}'; pick another {kind} name."
        )
    return module
