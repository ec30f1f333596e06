"""Router overhead: the generated LLM router vs raw httpx vs LiteLLM's Router, side by side.

All clients send the same chat request to the same local fake OpenAI server (a separate
process on 127.0.0.1, from the project's `llm/testing.py`), in one run, at
concurrency 1 and 16, in rotating order over several rounds. Printed per client: median
latency, throughput and this process's CPU time per call (the server runs in another
process, so CPU per call is the client's own cost); then the router's overhead over raw
httpx and the ratios against LiteLLM. Logging is off for all of them.

The router runs three ways: as shipped (Prometheus metrics recorded on every call), with
its metrics replaced by no-ops (what the metrics cost), and with tracing on (a span per
request, handed to an exporter that drops it). Without LiteLLM installed its column is
left out.

Run from the template repository (needs the `bench` extra: litellm):

    .venv/bin/python benchmarks/router_overhead.py            # default sizes
    .venv/bin/python benchmarks/router_overhead.py --calls 4000 --rounds 8

The script renders a throw-away project from this repository's HEAD to import the router.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench_project import PACKAGE, render_bench_project

MESSAGES = [{"role": "user", "content": "Summarise the benefits of durable execution."}]

Call = Callable[[], Awaitable[str]]


def start_server(project: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    process = subprocess.Popen(
        [sys.executable, "-m", f"{PACKAGE}.llm.testing", "--wire", "openai", "--no-record"],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        raise SystemExit(f"the fake server did not start (said {url!r})")
    return process, url


async def measure(call: Call, calls: int, concurrency: int) -> tuple[list[float], float, float]:
    """Latencies, wall seconds and this process's CPU seconds for `calls` calls."""
    latencies: list[float] = []
    remaining = iter(range(calls))

    async def worker() -> None:
        for _ in remaining:
            started = time.perf_counter()
            await call()
            latencies.append(time.perf_counter() - started)

    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - started, time.process_time() - cpu


async def compare(clients: dict[str, Call], calls: int, concurrency: int, rounds: int) -> None:
    """Run the clients in rotating order over several rounds, so drift hits all alike."""
    names = list(clients)
    latencies: dict[str, list[float]] = {name: [] for name in names}
    wall = dict.fromkeys(names, 0.0)
    cpu = dict.fromkeys(names, 0.0)
    for name in names:  # warm every connection pool
        await measure(clients[name], 50, concurrency)
    for round_number in range(rounds):
        order = names[round_number % len(names) :] + names[: round_number % len(names)]
        for name in order:
            found, seconds, used = await measure(clients[name], calls // rounds, concurrency)
            latencies[name] += found
            wall[name] += seconds
            cpu[name] += used
    done = (calls // rounds) * rounds
    print(
        f"{'concurrency':>11} {'client':<16} {'median ms':>10} {'calls/s':>9} {'CPU ms/call':>12}"
    )
    for name in names:
        median = statistics.median(latencies[name]) * 1000
        rate = done / wall[name]
        per_call = cpu[name] / done * 1000
        print(f"{concurrency:>11} {name:<16} {median:>10.3f} {rate:>9.0f} {per_call:>12.3f}")
    raw, ours, peer = "raw httpx", "router", "litellm Router"
    for name in [name for name in names if name.startswith("router")]:
        latency_overhead = (
            statistics.median(latencies[name]) - statistics.median(latencies[raw])
        ) * 1000
        cpu_overhead = (cpu[name] - cpu[raw]) / done * 1000
        print(
            f"  {name} overhead over raw httpx: {latency_overhead:+.3f} ms median latency, "
            f"{cpu_overhead:+.3f} ms client CPU per call"
        )
    print(f"  throughput router / raw httpx: {wall[raw] / wall[ours]:.2f}x")
    if peer in names:
        print(
            f"  throughput router / LiteLLM Router: {wall[peer] / wall[ours]:.2f}x; "
            f"CPU per call LiteLLM / router: {cpu[peer] / cpu[ours]:.2f}x"
        )
    print()


async def run(url: str, calls: int, rounds: int) -> None:
    import httpx
    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL),
        cache_logger_on_first_use=True,
    )
    config_module = importlib.import_module(f"{PACKAGE}.llm.config")
    router_module = importlib.import_module(f"{PACKAGE}.common.llm_router")
    # Same pool size for the router and raw httpx, large enough for 16 concurrent calls.
    config = config_module.parse_config(
        {
            "llm": {
                "router": {"max_connections": 32, "max_keepalive_connections": 32},
                "providers": [
                    {
                        "name": "local",
                        "type": "openai_compatible",
                        "model": "bench",
                        "base_url": url,
                        "api_key": "sk-bench",
                    }
                ],
            }
        },
        env={},
    )
    router = router_module.LLMRouter(config=config)
    request = router_module.LLMRequest(messages=MESSAGES, temperature=0.7, max_tokens=64)
    untracked = router_module.LLMRouter(config=config)
    metrics_module = importlib.import_module(f"{PACKAGE}.llm.metrics")
    untracked._series = {
        name: metrics_module.ProviderSeries(*[_NoMetric()] * 6) for name in untracked._series
    }
    tracing = importlib.import_module(f"{PACKAGE}.common.tracing")
    # Only routers built while tracing is on wrap their providers in spans.
    tracing.configure_tracing(_DroppingExporter())
    traced = router_module.LLMRouter(config=config)

    try:
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        import litellm
    except ImportError:
        litellm = None
        print("LiteLLM is not installed (the `bench` extra): its column is left out.\n")
    else:
        litellm.telemetry = False
        litellm.suppress_debug_info = True
        logging.getLogger("LiteLLM").setLevel(logging.CRITICAL)
        logging.getLogger("LiteLLM Router").setLevel(logging.CRITICAL)
        peer = litellm.Router(
            model_list=[
                {
                    "model_name": "bench",
                    "litellm_params": {
                        "model": "openai/bench",
                        "api_base": url,
                        "api_key": "sk-x",
                    },
                }
            ],
            num_retries=2,
        )

    raw_client = httpx.AsyncClient(
        timeout=30, limits=httpx.Limits(max_connections=32, max_keepalive_connections=32)
    )
    body: dict[str, Any] = {
        "model": "bench",
        "messages": MESSAGES,
        "temperature": 0.7,
        "max_tokens": 64,
    }

    async def raw() -> str:
        response = await raw_client.post(
            f"{url}/chat/completions", json=body, headers={"authorization": "Bearer sk-bench"}
        )
        response.raise_for_status()
        return str(response.json()["choices"][0]["message"]["content"])

    async def ours() -> str:
        return str((await router.chat(request)).content)

    async def ours_without_metrics() -> str:
        return str((await untracked.chat(request)).content)

    async def ours_traced() -> str:
        return str((await traced.chat(request)).content)

    async def litellm_router() -> str:
        reply = await peer.acompletion(
            model="bench", messages=MESSAGES, temperature=0.7, max_tokens=64
        )
        return str(reply.choices[0].message.content)

    clients: dict[str, Call] = {"raw httpx": raw, "router": ours}
    if litellm is not None:
        clients["litellm Router"] = litellm_router
    clients["router, no metrics"] = ours_without_metrics
    clients["router + traces"] = ours_traced
    answers = {await call() for call in clients.values()}
    if len(answers) != 1:
        raise SystemExit(f"the clients disagree: {answers}")

    print(f"{calls} calls per client and concurrency, fake OpenAI server at {url}\n")
    for concurrency in (1, 16):
        await compare(clients, calls, concurrency, rounds)
    await raw_client.aclose()
    for each in (router, untracked, traced):
        await each.close()


class _NoMetric:
    """Stands in for every metric series: records nothing."""

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


class _DroppingExporter:
    """A span exporter that drops what it gets: the cost measured is making the spans."""

    def export(self, spans: Any) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per client and level")
    parser.add_argument("--rounds", type=int, default=5, help="rotations of the client order")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        project = render_bench_project(Path(workdir) / "bench-app", with_llm=True)
        sys.path.insert(0, str(project / "src"))
        server, url = start_server(project)
        try:
            asyncio.run(run(url, args.calls, args.rounds))
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
