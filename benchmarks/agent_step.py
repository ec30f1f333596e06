"""What one durable LLM step costs on the embedded engine, beyond the provider's own time.

Run:  .venv/bin/python benchmarks/agent_step.py [--calls 30]

Renders a project from this template, then measures side by side, against one fake
OpenAI-format server on 127.0.0.1 (in its own process):
- raw:    an httpx POST to the server (the provider's own time, as a client sees it);
- router: `LLMRouter.chat()` in this process (raw + the router's work);
- step:   a `LlmChatWorkflow` run on the embedded engine through one connected client:
          start it, one `llm_chat` step in the service process (router inside), result.
The difference step - raw is what durability costs per LLM call.
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

import copier
import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers import snapshot_template  # noqa: E402

PACKAGE = "bench_step"


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


async def measure(base_url: str, address: str, calls: int) -> dict[str, list[float]]:
    router_module = importlib.import_module(f"{PACKAGE}.common.llm_router")
    client_module = importlib.import_module(f"{PACKAGE}.client")
    testing = importlib.import_module(f"{PACKAGE}.testing")
    settings = testing.local_settings(address)
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello"}]}
    request = router_module.LLMRequest(messages=body["messages"], max_tokens=64)
    samples: dict[str, list[float]] = {"raw": [], "router": [], "step": []}
    async with (
        httpx.AsyncClient(headers={"authorization": "Bearer sk-bench"}) as http,
        router_module.LLMRouter(os.environ["LLM_ROUTER_CONFIG"]) as router,
    ):
        # Warm every path once: connections, the worker's sandbox, the engine's caches.
        await http.post(f"{base_url}/chat/completions", json=body)
        await router.chat(request)
        await client_module.run(
            "workflow", "LlmChatWorkflow", {"prompt": "warm"}, settings=settings
        )
        restack = client_module.make_client(settings)
        for index in range(calls):
            # Interleave the three so that background noise hits them alike.
            started = time.perf_counter()
            response = await http.post(f"{base_url}/chat/completions", json=body)
            response.raise_for_status()
            samples["raw"].append(time.perf_counter() - started)
            started = time.perf_counter()
            await router.chat(request)
            samples["router"].append(time.perf_counter() - started)
            started = time.perf_counter()
            run_id = f"bench-{uuid.uuid4().hex[:10]}"
            await restack.schedule_workflow(
                workflow_name="LlmChatWorkflow",
                workflow_id=run_id,
                workflow_input={"prompt": f"Say hello #{index}"},
            )
            result = await restack.get_workflow_result(workflow_id=run_id)
            samples["step"].append(time.perf_counter() - started)
            assert result["provider"] == "openai", result
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=30)
    calls = parser.parse_args().calls
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        template = snapshot_template(ROOT, work / "template")
        project = work / "bench-step"
        copier.run_copy(
            str(template.path),
            str(project),
            data={"project_name": "bench-step"},
            vcs_ref=template.tag,
            defaults=True,
            unsafe=True,
            quiet=True,
        )
        sys.path.insert(0, str(project / "src"))
        os.chdir(project)
        engine_module = importlib.import_module(f"{PACKAGE}.common.engine")
        testing = importlib.import_module(f"{PACKAGE}.testing")
        llm_port = free_port()
        base_url = f"http://127.0.0.1:{llm_port}/v1"
        os.environ["LLM_ROUTER_CONFIG"] = str(write_config(project, base_url))
        env = {**os.environ, "PYTHONPATH": str(project / "src")}
        try:
            processes.append(
                subprocess.Popen(
                    [
                        *(sys.executable, "-m", f"{PACKAGE}.llm.testing"),
                        *("--wire", "openai", "--port", str(llm_port), "--no-record"),
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            wait_for_port(llm_port, time.monotonic() + 30)
            with engine_module.EmbeddedEngine(port=0) as engine:
                service = testing.start_service_process(
                    engine.address, work / f"service-{uuid.uuid4().hex[:6]}.log"
                )
                processes.append(service)
                samples = asyncio.run(measure(base_url, engine.address, calls))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
    report(samples, calls)


def report(samples: dict[str, list[float]], calls: int) -> None:
    median: dict[str, float] = {name: statistics.median(values) for name, values in samples.items()}
    print(f"calls per path: {calls} (medians, milliseconds)")
    print(f"  raw httpx to the provider:        {median['raw'] * 1000:8.2f}")
    print(f"  LLMRouter.chat in process:        {median['router'] * 1000:8.2f}")
    print(f"  one llm_chat step on the engine:  {median['step'] * 1000:8.2f}")
    print(f"  router overhead (router - raw):   {(median['router'] - median['raw']) * 1000:8.2f}")
    print(f"  engine step overhead (step - raw):{(median['step'] - median['raw']) * 1000:8.2f}")
    print(f"  ratio step / raw:                 {median['step'] / median['raw']:8.1f}x")


if __name__ == "__main__":
    main()
