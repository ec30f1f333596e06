"""Write docs/project/cli.md, the reference of every `restack` command and flag.

The page is produced by the CLI itself: a project with every component is rendered from
this working tree and its hidden `restack docs:cli` command prints the Markdown. Run it
after changing a command or a flag; `--check` (used by tests/test_docs.py) fails with a
diff when the committed page differs from what the CLI prints.

    python scripts/cli_reference.py            # rewrite docs/project/cli.md
    python scripts/cli_reference.py --check    # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import difflib
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "project" / "cli.md"
PROJECT_NAME = "my-agents"


def render_project(destination: Path) -> Path:
    import copier
    from copier.errors import DirtyLocalWarning

    warnings.simplefilter("ignore", DirtyLocalWarning)  # uncommitted changes are wanted here
    copier.run_copy(
        str(ROOT),
        str(destination),
        data={"project_name": PROJECT_NAME},
        vcs_ref="HEAD",  # includes uncommitted changes to the template
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    return destination


def reference_of(project: Path) -> str:
    """What `restack docs:cli` prints in `project`."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    result = subprocess.run(
        [sys.executable, "-m", answers["package_name"], "docs:cli"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"`restack docs:cli` failed in {project}:\n{result.stderr}")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument(
        "--project", type=Path, help="an already rendered project with every component"
    )
    args = parser.parse_args()

    if args.project:
        produced = reference_of(args.project)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            produced = reference_of(render_project(Path(scratch) / PROJECT_NAME))

    if not args.check:
        REFERENCE.write_text(produced, encoding="utf-8")
        print(f"wrote {REFERENCE.relative_to(ROOT)}")
        return 0
    committed = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
    if committed == produced:
        return 0
    diff = difflib.unified_diff(
        committed.splitlines(keepends=True),
        produced.splitlines(keepends=True),
        fromfile="docs/project/cli.md (committed)",
        tofile="restack docs:cli (now)",
    )
    sys.stdout.writelines(diff)
    print(
        "\ndocs/project/cli.md is out of date: run `python scripts/cli_reference.py`.",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
