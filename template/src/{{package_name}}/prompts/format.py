# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Safe formatting of prompt text: plain `{name}` placeholders and nothing else.

`str.format` follows attribute and index access, so a stored template such as
`{user.__class__.__init__.__globals__[API_KEY]}` can read secrets from whatever object
it is given. Prompt files are therefore parsed here instead: a placeholder is a bare
identifier in braces, `{{` and `}}` are literal braces, and everything else in braces
(attributes, indexes, positional fields, `!r` conversions, `:>10` format specs) is
refused when the file is loaded. Substitution is a single pass, so a value that itself
contains braces is inserted as plain text and never expanded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import MissingPromptVariablesError, PromptFormatError, PromptVariableTypeError

__all__ = [
    "MissingPromptVariablesError",
    "Placeholder",
    "PromptFormatError",
    "PromptValue",
    "PromptVariableTypeError",
    "Segment",
    "parse_template",
    "placeholder_names",
    "safe_format",
    "substitute",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BRACE = re.compile(r"[{}]")

# Values that read the same in a prompt as in the caller's code. Anything else (lists,
# dicts, models) has to be turned into text by the caller, so its shape is deliberate.
PromptValue = str | int | float


@dataclass(frozen=True)
class Placeholder:
    name: str


Segment = str | Placeholder


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def _refusal(field: str) -> str:
    if not field.strip():
        return "an empty field"
    if field.strip() != field:
        return "spaces inside the braces"
    if "!" in field:
        return "a conversion (!r, !s, !a)"
    if ":" in field:
        return "a format spec"
    if "." in field or "[" in field:
        return "attribute or index access"
    if field[0].isdigit():
        return "a positional field"
    return "a field that is not a plain name"


def parse_template(text: str) -> tuple[Segment, ...]:
    """Split `text` into literal strings and placeholders, or raise PromptFormatError."""
    segments: list[Segment] = []
    literal: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        found = _BRACE.search(text, index)
        if found is None:
            break
        start = found.start()
        literal.append(text[index:start])
        if text.startswith("{{", start):
            literal.append("{")
            index = start + 2
            continue
        if text.startswith("}}", start):
            literal.append("}")
            index = start + 2
            continue
        if text[start] == "}":
            raise PromptFormatError(
                f"single '}}' at {_position(text, start)}; write '}}}}' for a literal brace"
            )
        close = text.find("}", start + 1)
        opener = text.find("{", start + 1)
        if close == -1 or (opener != -1 and opener < close):
            raise PromptFormatError(
                f"unclosed '{{' at {_position(text, start)}; write '{{{{' for a literal brace"
            )
        field = text[start + 1 : close]
        if not _IDENTIFIER.fullmatch(field):
            raise PromptFormatError(
                f"'{{{field}}}' at {_position(text, start)} uses {_refusal(field)}; only plain "
                "{name} placeholders are allowed (write '{{' and '}}' for literal braces)"
            )
        if literal:
            segments.append("".join(literal))
            literal = []
        segments.append(Placeholder(field))
        index = close + 1
    literal.append(text[index:])
    tail = "".join(literal)
    if tail:
        segments.append(tail)
    return tuple(segments)


def placeholder_names(segments: tuple[Segment, ...]) -> tuple[str, ...]:
    """Placeholder names in order of first appearance."""
    seen: dict[str, None] = {}
    for segment in segments:
        if isinstance(segment, Placeholder):
            seen.setdefault(segment.name, None)
    return tuple(seen)


def _as_text(name: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    raise PromptVariableTypeError(
        f"value for '{name}' is a {type(value).__name__}; pass text or a number "
        "(turn lists, dicts and models into text yourself, e.g. with json.dumps)"
    )


def substitute(
    segments: tuple[Segment, ...], variables: Mapping[str, object], prompt: str = ""
) -> str:
    """Fill every placeholder; extra variables are ignored, missing ones raise."""
    missing = [name for name in placeholder_names(segments) if name not in variables]
    if missing:
        raise MissingPromptVariablesError(missing, prompt)
    parts = [
        _as_text(segment.name, variables[segment.name])
        if isinstance(segment, Placeholder)
        else segment
        for segment in segments
    ]
    return "".join(parts)


def safe_format(text: str, /, **variables: object) -> str:
    """Format `text` with plain `{name}` placeholders only (never `str.format`)."""
    return substitute(parse_template(text), variables)
