"""Scripted scaffolding: generate a project from an answers file, errors on one line.

    python scripts/scaffold.py answers.yml DESTINATION [--template SRC] [--vcs-ref REF]

The same as `copier copy --trust --defaults --data-file answers.yml SRC DESTINATION`,
but an answer the template refuses (a bad name, a typo in a key, `with_tools: maybe`)
ends with one line, `error: <what to fix>`, and exit code 2 instead of Copier's
traceback. Nothing is written when an answer is refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import copier
import yaml
from copier.errors import CopierError

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("answers", type=Path, help="YAML answers file (project_name, ...)")
    parser.add_argument("destination", type=Path)
    parser.add_argument("--template", default=str(ROOT), help="template path or git URL")
    parser.add_argument("--vcs-ref", default=None, help="template version (default: latest)")
    args = parser.parse_args(argv)
    try:
        data = yaml.safe_load(args.answers.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        print(f"error: {args.answers} cannot be read: {error}", file=sys.stderr)
        return 2
    if not isinstance(data, dict):
        print(f"error: {args.answers} should hold a mapping of answers.", file=sys.stderr)
        return 2
    try:
        copier.run_copy(
            args.template,
            args.destination,
            data=data,
            vcs_ref=args.vcs_ref,
            defaults=True,
            unsafe=True,
            quiet=True,
        )
    except (ValueError, CopierError) as error:
        # Copier reports refused answers as ValueError("Validation error for question
        # 'x': <message>"); only the message is for the user.
        message = str(error).strip().splitlines()[-1] if str(error).strip() else repr(error)
        print(f"error: {message}", file=sys.stderr)
        return 2
    print(f"Generated {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
