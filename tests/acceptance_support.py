"""Running a generated project the way its user does: CLI commands, a live service, and
fake LLM servers on an event loop of their own, all stopped by PID at the end."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

from .helpers import answers, project_env

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def client_env(project: Path, address: str | None = None, **extra: str) -> dict[str, str]:
    """The project's environment, talking to the engine at `address` when given."""
    env = project_env(project)
    if address is not None:
        env["RESTACK_ENGINE_ADDRESS"] = address
    env.update(extra)
    return env


def restack_in(
    project: Path, *args: str, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`restack ARGS` in the project with an explicit environment."""
    package = answers(project)["package_name"]
    return subprocess.run(
        [sys.executable, "-m", package, *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def doctor_checks(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, str]]:
    """`restack doctor --json` output by check name (section-qualified for tool checks)."""
    checks: dict[str, dict[str, str]] = {}
    for check in json.loads(result.stdout):
        checks[f"{check['section']}/{check['name']}"] = check
    return checks


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition`; a deadline only guards against hanging, it is not a speed check."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:.0f}s")
        time.sleep(0.2)


def logged(log: Path, event: str) -> bool:
    """Whether `event` appears in a log file (which may not exist yet)."""
    try:
        return event in log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return False


def service_polls(project: Path, env: dict[str, str]) -> bool:
    result = restack_in(project, "doctor", "--json", env=env, timeout=60)
    try:
        checks = doctor_checks(result)
    except (json.JSONDecodeError, KeyError):
        return False
    return checks.get("Engine/service", {}).get("status") == "ok"


# ------------------------------------------------------------------ processes


def descendants(pid: int) -> list[int]:
    """Live descendants of `pid`, read from /proc (children of children included)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = entry.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry.parent.name)] = int(fields[1])
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def stop(process: subprocess.Popen[Any], sig: int = signal.SIGINT, timeout: float = 30) -> None:
    """Send `sig` to the process (by its PID) and wait; SIGKILL it if it does not end."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def reap(pids: dict[int, str], timeout: float = 15) -> list[str]:
    """Wait for the given processes to end; SIGKILL the ones still there (checking the PID
    still runs the same command) and return their descriptions."""
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    leftovers = []
    for pid, command in pids.items():
        if alive(pid) and command_line(pid) == command:
            leftovers.append(f"{pid}: {command}")
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    return leftovers


# ------------------------------------------------------------------ an event loop in a thread


class BackgroundLoop:
    """An asyncio loop on its own thread, for servers the test process hosts while
    subprocesses talk to them."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def call(self, function: Callable[[], T]) -> T:
        """Run a plain function on the loop's thread (to read state its servers change)."""

        async def call() -> T:
            return function()

        return self.run(call())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


@contextlib.contextmanager
def background_loop() -> Iterator[BackgroundLoop]:
    loop = BackgroundLoop()
    try:
        yield loop
    finally:
        loop.close()


@contextlib.contextmanager
def project_on_path(project: Path) -> Iterator[None]:
    """Make the project's package importable in this process."""
    source = str(project / "src")
    sys.path.insert(0, source)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(source)


@contextlib.contextmanager
def restack_dev(project: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """`restack dev --memory` (engine + service) until the service polls; yields the engine
    address. On exit: Ctrl-C by PID, and every process it started must be gone."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    package = answers(project)["package_name"]
    with log.open("ab") as output:
        dev = subprocess.Popen(
            [sys.executable, "-m", package, "dev", "--memory", "--port", str(port)],
            cwd=project,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    children: dict[int, str] = {}
    try:
        client = client_env(project, address)
        # The log says when the service has started its worker; only then is a doctor
        # (a process of its own, seconds of CPU) asked whether it polls.
        wait_until(
            lambda: (
                dev.poll() is not None
                or (logged(log, "service_ready") and service_polls(project, client))
            ),
            timeout=180,
            what=f"`restack dev` to serve (log: {log})",
        )
        assert dev.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        children = {pid: command_line(pid) for pid in descendants(dev.pid)}
        yield address
    finally:
        children.update({pid: command_line(pid) for pid in descendants(dev.pid)})
        stop(dev, signal.SIGINT, timeout=60)
        leftovers = reap(children)
    assert dev.returncode == 0, f"`restack dev` exited with {dev.returncode}; see {log}"
    assert any("temporal" in command for command in children.values()), children
    assert leftovers == [], f"`restack dev` left processes behind: {leftovers}"
