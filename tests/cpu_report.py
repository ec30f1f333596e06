"""Where the suite's CPU goes: each test's CPU seconds, its own and its finished child
processes' (renders, `restack` commands, mypy, the projects' own suites), listed at the
end of a run.

On a machine whose cores are all busy, wall-clock durations say more about what else was
running than about the test; CPU seconds add up to what the run costs. Workers attach
each test's figure to its last report, so the list covers every xdist worker.
"""

from __future__ import annotations

import resource
from collections.abc import Generator
from typing import Any

import pytest

SHOWN = 15
_started = pytest.StashKey[float]()


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    if call.when == "setup":
        item.stash[_started] = cpu_seconds()
    outcome = yield
    if call.when == "teardown" and _started in item.stash:
        spent = cpu_seconds() - item.stash[_started]
        outcome.get_result().user_properties.append(("cpu_seconds", spent))


class CpuReport:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == "cpu_seconds":
                self.spent[report.nodeid] = float(value)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.spent:
            return
        total = sum(self.spent.values())
        terminalreporter.write_sep("=", f"most CPU of {total:.0f} CPU seconds in all")
        for nodeid, spent in sorted(self.spent.items(), key=lambda kv: -kv[1])[:SHOWN]:
            terminalreporter.write_line(f"{spent:7.1f}s  {nodeid}")


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        config.pluginmanager.register(CpuReport(), "restack-cpu-report")
