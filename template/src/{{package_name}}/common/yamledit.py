# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Edits of the YAML files that people also edit by hand (config/tools.yaml, config/prompts.yaml).

ruamel.yaml's round-trip mode keeps their comments, key order and quoting. A file is
written whole to a temporary file beside it and moved over it with `os.replace`, so a
crash or a full disk leaves the old file intact, never half of the new one.

    document = load(path, new="servers: []\n")
    document["servers"].append(entry)
    save(path, document)
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from . import files
from .errors import RestackAppError

__all__ = [
    "CommentedMap",
    "CommentedSeq",
    "YamlSyntaxError",
    "dump",
    "load",
    "parse",
    "plain_scalar",
    "quoted",
    "save",
    "write_atomic",
]


class YamlSyntaxError(RestackAppError, ValueError):
    """A file to be edited is not valid YAML; nothing was written."""

    exit_code = 2


def _round_trip() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long value onto a second line
    return yaml


def parse(text: str, source: str) -> Any:
    """The round-trip document in `text`; raises YamlSyntaxError naming `source`."""
    try:
        return _round_trip().load(text)
    except YAMLError as error:
        raise YamlSyntaxError(
            f"{source} is not valid YAML: {' '.join(str(error).split())}",
            fix=f"Correct the syntax at the line named, or restore {source} from git.",
        ) from None


def load(path: Path, *, new: str = "", source: str | None = None) -> Any:
    """The document in `path`, or the one in `new` when the file does not exist yet."""
    text = path.read_text(encoding="utf-8") if path.exists() else new
    return parse(text, source or str(path))


def dump(document: Any) -> str:
    buffer = io.StringIO()
    _round_trip().dump(document, buffer)
    return buffer.getvalue()


def save(path: Path, document: Any, *, header: str = "") -> str:
    """Write `document` to `path` atomically (with `header` first); return the text."""
    text = header + dump(document)
    write_atomic(path, text)
    return text


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step (creating its folder), keeping its permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    files.write_atomic(path, text)


def quoted(text: str) -> str:
    """`text` written in double quotes (versions and paths that must stay strings)."""
    value: DoubleQuotedScalarString = DoubleQuotedScalarString(text)
    return value


def plain_scalar(value: str) -> str:
    """`value` as a YAML scalar for a line written by hand (quoted only when needed)."""
    buffer = io.StringIO()
    YAML(typ="safe", pure=True).dump(value, buffer)
    return buffer.getvalue().strip().removesuffix("...").strip()
