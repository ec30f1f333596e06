"""Jinja filters that refuse mistyped answers given as data (`--data`, `--data-file`).

Copier reads any string as a yes/no answer (`maybe` and `flase` both become true) and
ignores keys it has no question for (`with_toolz`). An answers file written for
scripted scaffolding deserves a clear refusal instead. The validators in ``copier.yml``
call these filters with ``_copier_conf.data``, the answers exactly as the user gave them;
the answers files of existing projects are checked by ``migrations/migrate.py`` on update.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment
from jinja2.ext import Extension

# Strings Copier itself reads as yes/no answers (`copier --data with_llm=false`).
_BOOL_WORDS = {"true", "false", "yes", "no", "y", "n", "t", "f", "on", "off", "1", "0"}


@cache
def questions() -> frozenset[str]:
    """Every question the template asks: the keys of copier.yml without a leading _,
    except values it computes and never asks (`when: false`)."""
    config = yaml.safe_load((Path(__file__).parents[1] / "copier.yml").read_text("utf-8"))
    return frozenset(
        key
        for key, spec in config.items()
        if not key.startswith("_") and not (isinstance(spec, dict) and spec.get("when") is False)
    )


def _given(data: Any) -> dict[str, Any]:
    """The answers the user gave, or {} when Copier replays a project's answers file.

    During `copier update`, Copier renders the project's last release with the answers
    file as data (recognisable by its `_commit`); migrations/migrate.py checks that file
    with a message naming it, before anything is written.
    """
    answers = dict(data or {})
    return {} if "_commit" in answers else answers


def unknown_answers_error(data: Any) -> str:
    """An error for answers no question asks for, or "" when every key is known."""
    unknown = sorted(key for key in _given(data) if key not in questions())
    if unknown:
        return (
            f"unknown answer {', '.join(repr(key) for key in unknown)}: the template asks "
            f"{', '.join(sorted(questions()))}."
        )
    return ""


def bool_answer_error(data: Any, name: str) -> str:
    """An error when `name` was given as something other than true or false."""
    answers = _given(data)
    if name not in answers:
        return ""
    value = answers[name]
    if isinstance(value, bool) or str(value).strip().lower() in _BOOL_WORDS:
        return ""
    return f"{name} must be true or false, not {value!r}."


class AnswersExtension(Extension):
    """Registers the answer checks with Copier's Jinja environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters.update(
            unknown_answers_error=unknown_answers_error,
            bool_answer_error=bool_answer_error,
        )
