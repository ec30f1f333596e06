# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""YAML syntax errors as one line that points into the user's file.

PyYAML and ruamel.yaml describe an error over several lines, name the source
`"<unicode string>"` when given text, and count lines from the start of that text (which,
for a prompt's frontmatter, is not the start of the file).
"""

from __future__ import annotations


def describe_yaml_error(error: Exception, lines_before: int = 0) -> str:
    """'line L, column C: problem' with L counted in the file (`lines_before` lines precede
    the parsed text there)."""
    problem = getattr(error, "problem", None) or str(error).strip().splitlines()[0]
    context = getattr(error, "context", None)
    text = " ".join(f"{context}: {problem}".split() if context else str(problem).split())
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if mark is None:
        return text
    return f"line {mark.line + 1 + lines_before}, column {mark.column + 1}: {text}"
