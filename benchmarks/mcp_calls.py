"""Tool-call latency: the pooled FastMCPClient against a raw FastMCP client, side by side.

Renders a project from this template (tools on), then calls the shipped `text` server's
`slugify` tool over stdio four ways, in one run on this machine:

1. pooled   - `FastMCPClient("text")`: the project's client (shared session, error mapping);
2. raw open - FastMCP's own `Client` on one open session (the floor for a call);
3. cold     - a new FastMCP session (spawn + initialize + call + close) per call;
4. cold via launcher - the same through a fresh pool, whose stdio servers start through
   the launcher that ties them to the service (the cost of that guarantee).

Usage: python benchmarks/mcp_calls.py [--calls 200] [--cold-calls 10]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_project import PACKAGE, render_bench_project

ARGUMENTS = {"title": "Pooled sessions for MCP tool calls"}


async def timed(calls: int, call: Any) -> list[float]:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


async def measure(calls: int, cold_calls: int) -> dict[str, list[float]]:
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    client_module = importlib.import_module(f"{PACKAGE}.mcp.client")
    pool_module = importlib.import_module(f"{PACKAGE}.mcp.pool")
    config = importlib.import_module(f"{PACKAGE}.mcp.config")
    server = config.ServerConfig(name="text", module=f"{PACKAGE}.tools.text_mcp")
    command = server.launch_command()

    def transport(keep_alive: bool) -> StdioTransport:
        return StdioTransport(
            command=command[0],
            args=command[1:],
            env=server.child_env(),
            cwd=server.working_dir(),
            keep_alive=keep_alive,
        )

    results: dict[str, list[float]] = {"pooled FastMCPClient": [], "raw FastMCP, open session": []}
    tools_config = config.ToolsConfig(servers=[server])
    pool = pool_module.ToolClientPool(tools_config)
    pooled = client_module.FastMCPClient("text", pool)
    raw = Client(transport(keep_alive=True))
    async with raw:
        # Open both sessions first, then alternate the two clients call by call so that
        # machine noise falls on both alike.
        await pooled.call_tool("slugify", ARGUMENTS)
        await raw.call_tool("slugify", ARGUMENTS)
        for _ in range(calls):
            results["pooled FastMCPClient"] += await timed(
                1, lambda: pooled.call_tool("slugify", ARGUMENTS)
            )
            results["raw FastMCP, open session"] += await timed(
                1, lambda: raw.call_tool("slugify", ARGUMENTS)
            )
    await raw.close()
    await pool.close()

    async def cold_call() -> None:
        client = Client(transport(keep_alive=False))
        async with client:
            await client.call_tool("slugify", ARGUMENTS)

    async def cold_pooled_call() -> None:
        # A fresh pool: the server starts through the launcher that ties it to this process.
        fresh = pool_module.ToolClientPool(tools_config)
        await client_module.FastMCPClient("text", fresh).call_tool("slugify", ARGUMENTS)
        await fresh.close()

    for _ in range(cold_calls):  # alternated, so machine noise falls on both alike
        results.setdefault("cold session per call", []).extend(await timed(1, cold_call))
        results.setdefault("cold pooled, via launcher", []).extend(await timed(1, cold_pooled_call))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--cold-calls", type=int, default=10)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "bench-app"
        render_bench_project(project, with_tools=True)
        sys.path.insert(0, str(project / "src"))
        results = asyncio.run(measure(options.calls, options.cold_calls))

    medians = {name: statistics.median(samples) for name, samples in results.items()}
    pooled = medians["pooled FastMCPClient"]
    print(f"{'scenario':28} {'n':>5} {'median ms':>10} {'vs pooled':>10}")
    for name, samples in results.items():
        median = medians[name]
        print(f"{name:28} {len(samples):5d} {median:10.2f} {median / pooled:9.2f}x")
    raw = medians["raw FastMCP, open session"]
    cold = medians["cold session per call"]
    print(f"\npooled overhead over raw open session: {pooled / raw:.2f}x")
    print(f"cold session per call is {cold / pooled:.0f}x slower than the pooled client")
    launched = medians["cold pooled, via launcher"]
    print(f"a cold start through the launcher costs {launched / cold:.2f}x a raw cold start")


if __name__ == "__main__":
    main()
