"""A throw-away project rendered from this repository's HEAD, for benchmarks to import.

Benchmarks measure the committed template, so uncommitted edits never skew a figure.
"""

from __future__ import annotations

from pathlib import Path

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
