"""The hang behind the rare `Client.connect` deadlocks: restack_ai's client and the project's.

Run:  .venv/bin/python benchmarks/client_gc_hang.py [--seconds 120] [--project PATH]

In a child process per client kind, again and again: connect a new client, start a
workflow on a queue nobody polls, wait for its result for a moment and give up (the
call is cancelled), drop the client; a second thread runs the garbage collector at
random moments. restack_ai's client makes a Temporal runtime per connection, which the
collector frees while its threads may wait for the GIL: the child then hangs with no way
to recover. The project's client runs every connection on one runtime
(`common/runtime.py`). Prints, per kind, the iterations done and whether the child hung
(no progress for 30 s: it is then killed and its stacks were not needed to tell).
"""

from __future__ import annotations

import argparse
import importlib
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_project import open_bench_project

STALL_SECONDS = 30

CHILD = """
import asyncio, gc, random, sys, threading, time, uuid
kind, address, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
from {package}.client import make_client
from {package}.testing import local_settings
from restack_ai import Restack

settings = local_settings(address)

async def once() -> None:
    if kind == "restack_ai":
        restack = Restack(make_client(settings).options)
        await restack.connect()
        client = restack.client
    else:
        client = await make_client(settings).connected()
    handle = await client.start_workflow(
        "Nobody", id=f"gc-{{uuid.uuid4().hex[:8]}}", task_queue="nobody-polls-this"
    )
    try:
        await asyncio.wait_for(handle.result(), timeout=random.choice([0.0005, 0.002, 0.01, 0.03]))
    except (TimeoutError, asyncio.TimeoutError):
        pass

def collect() -> None:
    while True:
        time.sleep(random.random() * 0.02)
        gc.collect()

threading.Thread(target=collect, daemon=True).start()
end = time.monotonic() + seconds
count = 0
while time.monotonic() < end:
    asyncio.run(once())
    count += 1
    print(count, flush=True)
"""


def run_kind(kind: str, package: str, project: Path, address: str, seconds: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(project / "src"), "RESTACK_LOG_LEVEL": "ERROR"}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(package=package), kind, address, str(seconds)],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    done, last_progress = 0, time.monotonic()
    while child.poll() is None:
        ready, _, _ = select.select([child.stdout], [], [], 1.0)
        if ready:
            line = child.stdout.readline()
            if line.strip().isdigit():
                done, last_progress = int(line), time.monotonic()
        elif time.monotonic() - last_progress > STALL_SECONDS:
            child.send_signal(signal.SIGKILL)
            child.wait()
            return f"HUNG after {done} iterations (no progress for {STALL_SECONDS}s)"
    return f"{done} iterations, no hang"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--project", type=Path, help="an already rendered project to use")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        project, package = open_bench_project(args.project, Path(scratch))
        engine_module = importlib.import_module(f"{package}.common.engine")
        with engine_module.EmbeddedEngine(port=0) as engine:
            outcomes = {
                kind: run_kind(kind, package, project, engine.address, args.seconds)
                for kind in ("restack_ai", "project")
            }
    print(f"connect, start, cancel, drop for {args.seconds:g}s with a collecting thread")
    for kind, outcome in outcomes.items():
        print(f"  {kind + ' client':<20}{outcome}")


if __name__ == "__main__":
    main()
