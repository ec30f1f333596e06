"""A throw-away project rendered from this repository's HEAD, for benchmarks to import.

Benchmarks measure the committed template, so uncommitted edits never skew a figure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "bench_app"


def render_bench_project(destination: Path, **answers: object) -> Path:
    """Render `bench-app` (package `bench_app`) with `answers` into `destination`."""
    import copier  # imported late: `--help` of a benchmark should not need it

    copier.run_copy(
        str(REPO),
        str(destination),
        data={"project_name": "bench-app", **answers},
        vcs_ref="HEAD",
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    return destination


def open_bench_project(rendered: Path | None, scratch: Path, **answers: object) -> tuple[Path, str]:
    """`rendered` (a project passed with --project) or a new bench project in `scratch`,
    importable from this process: its root and its package name."""
    project = (rendered or render_bench_project(scratch / "bench-app", **answers)).resolve()
    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    sys.path.insert(0, str(project / "src"))
    return project, str(recorded["package_name"])
