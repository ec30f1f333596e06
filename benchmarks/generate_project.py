"""How long generating a project and a component takes, against copying the same files.

Run:  .venv/bin/python benchmarks/generate_project.py [--runs 7]

Side by side in one run, medians over --runs:
- `copier copy` of a whole project from a git snapshot of this template (what users run);
- `copier copy` of one agent into that project (what `restack g agent` runs);
- a plain `shutil.copytree` of an already rendered project (the floor: writing the files);
- one agent into a project made from a git URL, as Copier alone renders it (a clone per
  run) and as `restack g` does (from the project's local mirror, `cli/template_cache.py`).
  The remote is a bare repository served by `git daemon` on 127.0.0.1 behind a proxy that
  delays each direction by --latency-ms (`slow_git_remote.py`): 0 is a local clone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import copier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.slow_git_remote import slow_git_remote  # noqa: E402
from tests.helpers import snapshot_template  # noqa: E402


def timed(action: Callable[[int], None], runs: int) -> list[float]:
    samples = []
    for index in range(runs):
        started = time.perf_counter()
        action(index)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--latency-ms", type=float, default=20, help="one way, per chunk")
    options = parser.parse_args()
    runs = options.runs
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        template = snapshot_template(ROOT, work / "template")

        def copy_project(index: int) -> None:
            copier.run_copy(
                str(template.path),
                str(work / f"project-{index}"),
                data={"project_name": "bench-app"},
                vcs_ref=template.tag,
                defaults=True,
                unsafe=True,
                quiet=True,
            )

        project_samples = timed(copy_project, runs)
        project = work / "project-0"
        subprocess.run(["git", "add", "-A"], cwd=project, check=True, capture_output=True)

        def agent_from(source: Callable[[], str], prefix: str) -> Callable[[int], None]:
            """One new agent per run (`<prefix><index>`), rendered from `source()`."""

            def copy(index: int) -> None:
                copier.run_copy(
                    source(),
                    str(project),
                    data={"kind": "agent", "name": f"{prefix}{index}", "package_name": "bench_app"},
                    answers_file=f".copier/agent-{prefix.lower()}{index}.yml",
                    vcs_ref=template.tag,
                    defaults=True,
                    unsafe=True,
                    quiet=True,
                )

            return copy

        agent_samples = timed(agent_from(lambda: str(template.path), "Bench"), runs)

        def plain_copy(index: int) -> None:
            shutil.copytree(
                work / "project-1", work / f"plain-{index}", ignore=shutil.ignore_patterns(".git")
            )

        plain_samples = timed(plain_copy, runs)

        remote = work / "remote.git"
        subprocess.run(
            ["git", "clone", "--quiet", "--bare", str(template.path), str(remote)], check=True
        )
        sys.path.insert(0, str(project / "src"))
        os.environ["RESTACK_TEMPLATE_CACHE"] = str(work / "cache")
        from bench_app.cli.template_cache import local_source

        with slow_git_remote(remote, options.latency_ms / 1000) as url:
            cloned_samples = timed(agent_from(lambda: url, "Cloned"), runs)
            local_source(url, template.tag)  # the first generator run makes the mirror
            mirrored_samples = timed(
                agent_from(lambda: local_source(url, template.tag), "Mirrored"), runs
            )

    project_median = statistics.median(project_samples)
    agent_median = statistics.median(agent_samples)
    plain_median = statistics.median(plain_samples)
    print(f"runs: {runs}")
    print(f"copier copy (project):        median {project_median * 1000:8.1f} ms")
    print(f"copier copy (agent component): median {agent_median * 1000:8.1f} ms")
    print(f"shutil.copytree (same files): median {plain_median * 1000:8.1f} ms")
    print(f"ratio project / plain copy:   {project_median / plain_median:8.1f}x")
    print(f"ratio agent / project:        {agent_median / project_median:8.2f}x")
    cloned_median = statistics.median(cloned_samples)
    mirrored_median = statistics.median(mirrored_samples)
    print(f"remote latency: {options.latency_ms:g} ms each way")
    print(f"agent from a git URL, cloned:   median {cloned_median * 1000:8.1f} ms")
    print(f"agent from a git URL, mirrored: median {mirrored_median * 1000:8.1f} ms")
    print(f"ratio cloned / mirrored:        {cloned_median / mirrored_median:8.2f}x")


if __name__ == "__main__":
    main()
