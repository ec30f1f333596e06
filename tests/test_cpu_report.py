"""The suite's CPU report (tests/cpu_report.py) counts what a test's child processes spend."""

from __future__ import annotations

import re

import pytest

from .conftest import REPO_ROOT

BUSY_AND_IDLE = """
import subprocess
import sys


def test_busy_child():
    subprocess.run([sys.executable, "-c", "sum(range(20_000_000))"], check=True)


def test_idle():
    pass
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "xdist"])
def test_report_ranks_a_test_by_its_childrens_cpu(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
    pytester.makepyfile(test_sample=BUSY_AND_IDLE)

    result = pytester.runpytest_subprocess("-p", "tests.cpu_report", *workers)

    result.assert_outcomes(passed=2)
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "most CPU of" in line)
    ranked = [re.match(r"\s*([\d.]+)s  \S+::(\w+)", line) for line in lines[start + 1 : start + 3]]
    assert [m.group(2) for m in ranked if m] == ["test_busy_child", "test_idle"]
    busy, idle = (float(m.group(1)) for m in ranked if m)
    assert busy > idle
