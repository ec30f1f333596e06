"""`restack dev` leaves nothing running behind it, whatever signal ends it and whenever.

Real processes: a rendered project's `restack dev` (embedded Temporal engine + service)
gets SIGTERM or SIGINT while Python is still importing, while the engine is starting, or
once the service is serving, and SIGHUP and SIGKILL at the moments where they take a path
of their own (CASES). Afterwards the engine process must be gone, its port free, and the
next `restack dev` on the same port must start. A signal whose exception third-party code
swallows must stop it too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .acceptance_support import command_line, descendants, free_port, reap, stop, wait_until
from .helpers import TemplateRepo, answers, project_env, render

# Tool servers are children of the service too; their own lifetime is tested with the
# tool-server supervisor. Here the engine is the child that matters.
PROJECT_DATA = {"with_tools": False}
MOMENTS = ["importing", "engine-starting", "serving"]
# SIGTERM and SIGINT at every moment. SIGHUP takes SIGTERM's path through the same
# handlers, so once serving (where a closed terminal sends it) is enough; SIGKILL can only
# orphan a child that exists, so it is sent once the engine is starting or serving.
CASES = [
    *((signum, moment) for signum in (signal.SIGTERM, signal.SIGINT) for moment in MOMENTS),
    (signal.SIGHUP, "serving"),
    (signal.SIGKILL, "engine-starting"),
    (signal.SIGKILL, "serving"),
]


@pytest.fixture(scope="module")
def project(template_repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(template_repo, tmp_path_factory.mktemp("signals") / "demo-app", PROJECT_DATA)


@pytest.fixture(scope="module")
def port() -> int:
    """One engine port for every case, so each `restack dev` proves the previous one let go."""
    return free_port()


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def engine_pids(pid: int) -> dict[int, str]:
    found = {child: command_line(child) for child in descendants(pid)}
    return {child: line for child, line in found.items() if "start-dev" in line}


class Dev:
    """`restack dev --memory --port PORT` in its own session, output in a log file."""

    def __init__(
        self, project: Path, port: int, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    answers(project)["package_name"],
                    "dev",
                    "--memory",
                    "--port",
                    str(port),
                ],
                cwd=project,
                env={**project_env(project), **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.seen: dict[int, str] = {}

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def watch(self) -> dict[int, str]:
        """Remember every engine process seen so far (to check it is gone at the end)."""
        self.seen.update(engine_pids(self.process.pid))
        return self.seen

    def wait_for(self, moment: str) -> None:
        if moment == "importing":
            time.sleep(1.0)
            return
        if moment == "engine-starting":
            condition = lambda: bool(self.watch())  # noqa: E731
        else:
            condition = lambda: "service_ready" in self.output()  # noqa: E731
        wait_until(
            lambda: self.process.poll() is not None or condition(),
            timeout=180,
            what=f"`restack dev` to reach '{moment}' (log: {self.log})",
        )
        assert self.process.poll() is None, self.output()
        self.watch()


@pytest.fixture
def dev(project: Path, port: int, tmp_path: Path) -> Iterator[Dev]:
    running = Dev(project, port, tmp_path / "dev.log")
    try:
        yield running
    finally:  # a failed case must not leave its processes to the next one
        stop(running.process, signal.SIGKILL, timeout=30)
        reap(running.watch(), timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "moment"), CASES, ids=[f"{signum.name}-{moment}" for signum, moment in CASES]
)
def test_no_engine_outlives_restack_dev(dev: Dev, port: int, signum: int, moment: str) -> None:
    dev.wait_for(moment)

    dev.process.send_signal(signum)
    try:
        dev.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`restack dev` ignored {signal.Signals(signum).name}:\n{dev.output()}")
    engines = dev.watch()
    leftovers = reap(engines, timeout=30)

    assert leftovers == [], f"left running after {signal.Signals(signum).name}: {leftovers}"
    if moment != "importing":
        assert engines, f"no engine was started:\n{dev.output()}"
    if signum != signal.SIGKILL and moment != "importing":
        # It ended itself, after its cleanup, not by the signal's default action. (While
        # Python is still importing there is no child yet and the default action is fine.)
        # Once serving, the service's own handlers stop the worker gracefully (exit 0).
        expected = {0} if moment == "serving" else {0, 128 + signum}
        assert dev.process.returncode in expected, dev.output()
        assert "Traceback" not in dev.output()
    wait_until(lambda: port_is_free(port), timeout=30, what=f"port {port} to be free")


@pytest.mark.slow
def test_a_new_restack_dev_starts_on_the_same_port(dev: Dev) -> None:
    """After all the cases above (same module, same port), the engine port is usable."""
    dev.wait_for("serving")

    dev.process.send_signal(signal.SIGINT)
    dev.process.wait(timeout=60)

    assert dev.process.returncode == 0, dev.output()
    assert reap(dev.watch(), timeout=30) == []


# Loaded by Python at startup (sitecustomize): while the project's service module is being
# imported, the process gets a signal inside a block that catches every exception, as
# third-party imports that try a fallback do. The signal's exception is lost there.
SWALLOWING_IMPORT = """
import os, signal, sys, time

class SwallowSignalDuringImport:
    def find_spec(self, name, path=None, target=None):
        if name == os.environ["SWALLOW_DURING"]:
            sys.meta_path.remove(self)
            try:
                os.kill(os.getpid(), int(os.environ["SWALLOW_SIGNAL"]))
                time.sleep(5)  # the handler's exception lands here
            except BaseException:
                pass
        return None

sys.meta_path.insert(0, SwallowSignalDuringImport())
"""


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_lost_inside_an_import_still_stops_restack_dev(
    project: Path, port: int, tmp_path: Path, signum: signal.Signals
) -> None:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SWALLOWING_IMPORT, encoding="utf-8")
    env = {
        "PYTHONPATH": os.pathsep.join([str(hook), project_env(project)["PYTHONPATH"]]),
        "SWALLOW_DURING": f"{answers(project)['package_name']}.service",
        "SWALLOW_SIGNAL": str(int(signum)),
    }
    dev = Dev(project, port, tmp_path / "dev.log", env=env)
    try:
        dev.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`restack dev` went on after a lost {signum.name}:\n{dev.output()}")
    finally:
        stop(dev.process, signal.SIGKILL, timeout=30)
        leftovers = reap(dev.watch(), timeout=30)

    assert dev.process.returncode == 128 + signum, dev.output()
    assert "Engine ready" not in dev.output() and leftovers == []
