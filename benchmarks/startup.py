"""Startup: how long until the generated project does work, next to a bare temporalio worker.

Run:  .venv/bin/python benchmarks/startup.py [--runs 3] [--project PATH]

Renders a project from this template (or uses PATH) and measures, median of --runs:

- `restack --help` next to a bare `python -c pass` (what every command pays first);
- `restack dev` until the service logs `service_ready` (engine start included);
- `restack run:server` until its first poll reaches an engine that is already running,
  next to a bare temporalio worker process (raw_temporal.py) on the same engine;
  "first poll" is when the engine lists the process among the task queue's pollers;
- `restack run:agent GreeterAgent` from start to printed result, with a service
  already running (a client command: find the agent, check its input, schedule, wait).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import raw_temporal
from bench_project import open_bench_project
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

QUIET: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes], how: int = signal.SIGINT) -> None:
    if process.poll() is None:
        process.send_signal(how)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Timing = tuple[float, float]
"""(wall seconds, CPU seconds of the measured process itself)"""


def timed(command: list[str], env: dict[str, str], cwd: Path) -> Timing:
    started = time.perf_counter()
    before = os.times()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    after = os.times()
    cpu = (
        after.children_user - before.children_user + after.children_system - before.children_system
    )
    return time.perf_counter() - started, cpu


def until_output(command: list[str], env: dict[str, str], cwd: Path, text: bytes) -> Timing:
    """Seconds from starting `command` until `text` appears in its output; then stops it."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    seen = b""
    try:
        while text not in seen:
            line = process.stdout.readline()
            if not line:
                raise SystemExit(f"{command} ended before printing {text!r}:\n{seen.decode()}")
            seen += line
        return time.perf_counter() - started, cpu_seconds(process.pid)
    finally:
        stop(process)


def until_polling(
    command: list[str], env: dict[str, str], cwd: Path, pollers: Callable[[], int]
) -> Timing:
    """Seconds from starting `command` until the engine lists a poller; then stops it."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, **QUIET)
    try:
        while pollers() == 0:
            if process.poll() is not None:
                raise SystemExit(f"the worker exited with code {process.returncode}")
            time.sleep(0.01)
        return time.perf_counter() - started, cpu_seconds(process.pid)
    finally:
        stop(process, signal.SIGTERM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", type=Path, help="an already rendered project to use")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project, package = open_bench_project(args.project, Path(scratch))
        os.chdir(project)
        env = {**os.environ, "PYTHONPATH": str(project / "src")}
        env.pop("RESTACK_ENGINE_ADDRESS", None)
        restack = [sys.executable, "-m", package]
        results: dict[str, list[Timing]] = {}

        def record(name: str, timing: Timing) -> None:
            results.setdefault(name, []).append(timing)

        for _ in range(args.runs):
            record("python -c pass", timed([sys.executable, "-c", "pass"], env, project))
            record("restack --help", timed([*restack, "--help"], env, project))
            dev = [*restack, "dev", "--memory", "--port", str(free_port())]
            record(
                "restack dev -> service_ready", until_output(dev, env, project, b"service_ready")
            )

        engine_module = importlib.import_module(f"{package}.common.engine")
        with engine_module.EmbeddedEngine(port=0) as engine:
            loop = asyncio.new_event_loop()
            client = loop.run_until_complete(Client.connect(engine.address))

            def pollers(task_queue: str) -> Callable[[], int]:
                request = DescribeTaskQueueRequest(
                    namespace=client.namespace,
                    task_queue=TaskQueue(name=task_queue),
                    task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                )
                describe = client.workflow_service.describe_task_queue
                return lambda: len(loop.run_until_complete(describe(request)).pollers)

            for run in range(args.runs):
                # Queues of their own per run: the engine lists a stopped poller for a while.
                server_env = {
                    **env,
                    "RESTACK_ENGINE_ADDRESS": engine.address,
                    "RESTACK_ENGINE_ID": f"startup{run}",
                }
                server = [*restack, "run:server"]
                record(
                    "restack run:server -> first poll",
                    until_polling(
                        server,
                        server_env,
                        project,
                        pollers(f"startup{run}-restack"),
                    ),
                )
                bare = raw_temporal.command(engine.address, f"bare{run}")
                bare_env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
                record(
                    "bare temporalio worker -> first poll",
                    until_polling(
                        bare,
                        bare_env,
                        project,
                        pollers(f"bare{run}"),
                    ),
                )
            # A client command against a running service, on queues of its own.
            client_env = {
                **env,
                "RESTACK_ENGINE_ADDRESS": engine.address,
                "RESTACK_ENGINE_ID": "startupclient",
            }
            service = subprocess.Popen(
                [*restack, "run:server"], env=client_env, cwd=project, **QUIET
            )
            try:
                waiting = pollers("startupclient-restack")
                while waiting() == 0:
                    if service.poll() is not None:
                        raise SystemExit(f"run:server exited with code {service.returncode}")
                    time.sleep(0.05)
                greet = [*restack, "run:agent", "GreeterAgent", '{"name": "Ada"}']
                for _ in range(args.runs):
                    record("restack run:agent GreeterAgent", timed(greet, client_env, project))
            finally:
                stop(service, signal.SIGTERM)
            loop.close()

    print(f"startup, median of {args.runs} runs (seconds; CPU of the process itself)")
    print(f"  {'':<40}{'wall':>8}{'CPU':>8}")
    median: dict[str, Timing] = {}
    for name, timings in results.items():
        median[name] = (
            statistics.median(wall for wall, _ in timings),
            statistics.median(cpu for _, cpu in timings),
        )
        print(f"  {name:<40}{median[name][0]:8.2f}{median[name][1]:8.2f}")
    server = median["restack run:server -> first poll"]
    bare = median["bare temporalio worker -> first poll"]
    print(
        f"  run:server / bare worker: {server[0] / bare[0]:.2f}x wall, "
        f"{server[1] / bare[1]:.2f}x CPU"
    )


if __name__ == "__main__":
    main()
