"""One durable LLM step: the generated project next to bare temporalio, on the same engine.

Run:  .venv/bin/python benchmarks/agent_step.py [--calls 30] [--project PATH]

Renders a project from this template (or uses PATH, a project rendered with the LLM
component), starts its embedded engine (whose dev-server settings apply to both paths)
and one fake OpenAI-format server on 127.0.0.1, then measures, interleaved in alternating
order so that background load hits them alike:

- provider:  an httpx POST to the fake server (what the LLM call itself costs);
- raw:       `RawChatWorkflow` (raw_temporal.py): one activity making that POST, on a
             bare temporalio worker process, started and awaited by a temporalio client;
- generated: `LlmChatWorkflow`: one `llm_chat` step (the project's router inside) on the
             project's service process, started and awaited by the project's client as
             `restack run:workflow` does (`schedule_workflow`, `get_workflow_result`).

Prints median and p90 of each path and the generated/raw ratio; the target is <= 1.5x.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import raw_temporal
import yaml
from bench_project import open_bench_project

TARGET_RATIO = 1.5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on 127.0.0.1:{port}")


def write_config(project: Path, base_url: str) -> Path:
    config = {
        "llm": {
            "router": {"backend": "direct", "timeout": 10},
            "providers": [
                {
                    "name": "openai",
                    "type": "openai",
                    "model": "gpt-4o-mini",
                    "base_url": base_url,
                    "api_key": "sk-bench",
                }
            ],
        }
    }
    path = project / "config" / "bench_llm_router.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    package: str, base_url: str, address: str, calls: int, workers: dict[str, int]
) -> tuple[dict[str, list[float]], dict[str, float]]:
    from temporalio.client import Client

    client_module = importlib.import_module(f"{package}.client")
    testing = importlib.import_module(f"{package}.testing")
    settings = testing.local_settings(address)
    await client_module.wait_for_service(settings, timeout_seconds=60)
    restack = client_module.make_client(settings)
    raw = await Client.connect(address)
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}

    async with httpx.AsyncClient(headers={"authorization": "Bearer sk-bench"}) as http:

        async def provider(prompt: str) -> Any:
            response = await http.post(f"{base_url}/chat/completions", json=body)
            response.raise_for_status()
            return {"provider": "openai"}

        async def bare(prompt: str) -> Any:
            return await raw.execute_workflow(
                raw_temporal.RawChatWorkflow.run,
                args=[base_url, prompt],
                id=f"raw-{uuid.uuid4().hex[:10]}",
                task_queue="bench-raw",
            )

        async def generated(prompt: str) -> Any:
            run_id = f"bench-{uuid.uuid4().hex[:10]}"
            await restack.schedule_workflow(
                workflow_name="LlmChatWorkflow",
                workflow_id=run_id,
                workflow_input={"prompt": prompt},
            )
            return await restack.get_workflow_result(workflow_id=run_id)

        paths = {"provider": provider, "raw": bare, "generated": generated}
        samples: dict[str, list[float]] = {name: [] for name in paths}
        cpu: dict[str, float] = {}
        for index in range(-3, calls):  # three warm-up rounds: connections, caches
            if index == 0:
                cpu = {name: -cpu_seconds(pid) for name, pid in workers.items()}
            order = list(paths) if index % 2 else list(reversed(paths))
            for name in order:
                started = time.perf_counter()
                result = await paths[name](f"Say hello #{index}")
                elapsed = time.perf_counter() - started
                assert result["provider"] == "openai", result
                if index >= 0:
                    samples[name].append(elapsed)
    # The worker processes' CPU per run: what a step costs when the machine is busy.
    spent = {name: (cpu[name] + cpu_seconds(pid)) / calls for name, pid in workers.items()}
    return samples, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--project", type=Path, help="an already rendered project to use")
    args = parser.parse_args()
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        project, package = open_bench_project(args.project, work, with_llm=True)
        os.chdir(project)
        engine_module = importlib.import_module(f"{package}.common.engine")
        testing = importlib.import_module(f"{package}.testing")
        llm_port = free_port()
        base_url = f"http://127.0.0.1:{llm_port}/v1"
        os.environ["LLM_ROUTER_CONFIG"] = str(write_config(project, base_url))
        env = {**os.environ, "PYTHONPATH": str(project / "src")}
        try:
            processes.append(
                subprocess.Popen(
                    [
                        *(sys.executable, "-m", f"{package}.llm.testing"),
                        *("--wire", "openai", "--port", str(llm_port), "--no-record"),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_for_port(llm_port, time.monotonic() + 30)
            with engine_module.EmbeddedEngine(port=0) as engine:
                log_file = Path(os.environ.get("BENCH_SERVICE_LOG", work / "service.log"))
                service = testing.start_service_process(engine.address, log_file)
                processes.append(service)
                raw_worker = subprocess.Popen(
                    raw_temporal.command(engine.address, "bench-raw"),
                    env={**os.environ, "PYTHONPATH": str(Path(__file__).parent)},
                    stdout=subprocess.DEVNULL,
                )
                processes.append(raw_worker)
                workers = {"raw": raw_worker.pid, "generated": service.pid}
                samples, cpu = asyncio.run(
                    measure(package, base_url, engine.address, args.calls, workers)
                )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    report(samples, cpu, args.calls)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def report(samples: dict[str, list[float]], cpu: dict[str, float], calls: int) -> None:
    print(f"one durable LLM step, {calls} runs per path (milliseconds)")
    print(f"  {'path':<44}{'median':>9}{'p90':>9}{'worker CPU':>12}")
    labels = {
        "provider": "provider call alone (httpx POST)",
        "raw": "bare temporalio: workflow + 1 activity",
        "generated": "generated project: LlmChatWorkflow, llm_chat",
    }
    for name, label in labels.items():
        values = samples[name]
        worker_cpu = f"{cpu[name] * 1000:12.1f}" if name in cpu else f"{'':12}"
        print(
            f"  {label:<44}{statistics.median(values) * 1000:9.1f}{p90(values) * 1000:9.1f}"
            f"{worker_cpu}"
        )
    median_ratio = statistics.median(samples["generated"]) / statistics.median(samples["raw"])
    p90_ratio = p90(samples["generated"]) / p90(samples["raw"])
    verdict = "within" if median_ratio <= TARGET_RATIO else "ABOVE"
    cpu_ratio = cpu["generated"] / cpu["raw"]
    print(
        f"  generated / raw: {median_ratio:.2f}x median, {p90_ratio:.2f}x p90, "
        f"{cpu_ratio:.2f}x worker CPU"
    )
    print(f"  ({verdict} the {TARGET_RATIO}x target)")


if __name__ == "__main__":
    main()
