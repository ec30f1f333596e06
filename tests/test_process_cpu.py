"""scripts/process_cpu.py: the CPU of a run's processes, by kind, each counted once."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "process_cpu.py"

# A parent that starts a busy child, which itself starts git and a busy grandchild.
FAMILY = """
import subprocess, sys
grandchild = "sum(range(30_000_000))"
child = (
    "import subprocess, sys; "
    "subprocess.run(['git', '--version'], capture_output=True); "
    f"subprocess.run([sys.executable, '-c', {grandchild!r}]); "
    "sum(range(15_000_000))"
)
subprocess.run([sys.executable, "-c", child], check=True)
"""


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A bare virtualenv: the script and its hook need nothing but the standard library."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "venv")], check=True
    )
    return tmp_path / "venv" / "bin" / "python"


def run(python: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(python), *args], capture_output=True, text=True, check=False, env=env, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_each_process_is_logged_and_reported_with_its_own_cpu(venv: Path, tmp_path: Path) -> None:
    log = tmp_path / "processes.jsonl"
    run(venv, str(SCRIPT), "install")
    run(venv, "-c", FAMILY)  # without RESTACK_PROCESS_LOG: nothing is logged
    assert not log.exists()

    run(venv, "-c", FAMILY, env={"RESTACK_PROCESS_LOG": str(log), "PATH": "/usr/bin:/bin"})
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    report = run(venv, str(SCRIPT), "report", str(log))
    run(venv, str(SCRIPT), "uninstall")

    # git and the grandchild are waited for by the child, the child by the parent.
    assert len(lines) == 3
    child = next(line for line in lines if "git" in line["command"] and "-c" in line["command"])
    git = next(line for line in lines if line["command"].startswith("git"))
    grandchild = next(line for line in lines if line is not child and line is not git)
    assert git["parent"] == child["pid"] == grandchild["parent"]
    assert child["cpu"] >= grandchild["cpu"] + git["cpu"]  # rusage includes waited children
    # Each kind is counted once: the child's own CPU plus the grandchild's (both are
    # `python -c`), not the child's rusage, which already holds the grandchild's.
    rows = {" ".join(row.split()[3:]): row.split() for row in report.splitlines()[2:]}
    assert float(rows["python -c"][1]) == pytest.approx(child["cpu"] - git["cpu"], abs=0.15)
    assert grandchild["cpu"] > 0.3  # so that counting it twice would show
    assert int(rows["python -c"][0]) == 2
    assert not list(venv.parent.parent.glob("lib/python*/site-packages/_restack_process_cpu*"))


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("process_cpu", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_reused_pid_is_a_process_of_its_own() -> None:
    # Pid 7 runs twice: first with a child of 5 s, then (reused) with none. Children's
    # lines come before their parent's, since the parent writes them before it exits.
    log = [
        {"pid": 9, "parent": 7, "command": "git gc", "cpu": 5.0},
        {"pid": 7, "parent": 1, "command": "python -m pytest", "cpu": 6.0},
        {"pid": 7, "parent": 1, "command": "python -m pytest", "cpu": 2.0},
        {"pid": 9, "parent": 1, "command": "git status", "cpu": 0.5},
    ]

    counted = [(line["cpu"], seconds) for line, seconds in load_script().own_cpu(log)]

    assert counted == [(5.0, 5.0), (6.0, 1.0), (2.0, 2.0), (0.5, 0.5)]


def test_a_log_that_cannot_be_written_changes_nothing(venv: Path, tmp_path: Path) -> None:
    run(venv, str(SCRIPT), "install")
    unwritable = tmp_path / "missing-directory" / "processes.jsonl"

    out = run(
        venv,
        "-c",
        "import subprocess; print(subprocess.run(['git', '--version'], capture_output=True)"
        ".returncode)",
        env={"RESTACK_PROCESS_LOG": str(unwritable), "PATH": "/usr/bin:/bin"},
    )

    assert out.strip() == "0"
    assert not unwritable.parent.exists()


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        ("/x/.venv/bin/python -m pytest -q tests", "pytest"),
        ("/x/.venv/bin/python -m demo_app g agent Planner", "restack g"),
        ("/x/.venv/bin/python -m demo_app.service", "service"),
        (
            "/x/python -I -S launcher.py 1 /tmp/s -- /x/python -m demo_app.tools.text_mcp",
            "tool server text_mcp",
        ),
        ("/usr/bin/git -c core.fsmonitor=false checkout -f abc", "git checkout"),
        ("/x/.venv/bin/temporal server start-dev --port 1", "engine (temporal)"),
    ],
)
def test_kinds_name_what_ran(command: str, kind: str) -> None:
    assert load_script().kind(command) == kind
