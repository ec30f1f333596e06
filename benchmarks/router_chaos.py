"""Router chaos: thousands of requests through a pool of faulty providers on loopback.

Three fake providers (OpenAI, Anthropic and OpenAI-compatible wire formats, real HTTP
servers on 127.0.0.1 from the project's `llm/testing.py`) each draw a fault per
request: 30% 5xx, 10% hangs past the attempt timeout, 10% malformed 200 bodies of many
shapes, 5% 200s with an error body, and bursts of 429 with Retry-After; a fourth,
healthy provider comes last in priority. Callers cancel 5% of requests midway. The
run uses the project's `llm.chaos.run_chaos` (the same harness as the project's chaos
test, at a larger size) and prints:

- how requests ended: success rate, cancellations, every failure's class, and the
  providers' failures inside `AllProvidersFailedError`;
- latency p50/p99 of successful requests, and which provider served them;
- circuit-breaker transitions and openings per provider, and wedged breakers
  (refusing a request with nothing in flight after their provider recovered: must be 0);
- the false-open rate: openings of a breaker whose provider only has a 5% background
  failure rate, with the shipped failure threshold (5).

The servers and the router share one process and event loop, so latencies include the
servers' work; compare runs on one machine, not against other machines.

Run from the template repository:

    /work/main/.venv/bin/python benchmarks/router_chaos.py                 # 3000 requests
    /work/main/.venv/bin/python benchmarks/router_chaos.py --requests 6000 --concurrency 128

The script renders a throw-away project from this repository's HEAD to import the router.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_project import PACKAGE, render_bench_project


def table(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def show_chaos(report: Any) -> None:
    answered = report.requests - report.cancelled
    print(f"\nChaos run: {report.requests} requests in {report.seconds:.1f} s")
    print(
        f"  success rate {report.success_rate:.1%} ({report.succeeded}/{answered} not cancelled)"
        f", cancelled by callers {report.cancelled}"
    )
    failed = ", ".join(f"{kind} {count}" for kind, count in report.failed.most_common()) or "none"
    print(f"  failures reaching callers: {failed}")
    causes = ", ".join(f"{kind} {count}" for kind, count in report.causes.most_common()) or "none"
    print(f"  provider failures inside them: {causes}")
    print(
        f"  latency of successes: p50 {report.percentile(0.5) * 1000:.0f} ms, "
        f"p99 {report.percentile(0.99) * 1000:.0f} ms"
    )
    served = ", ".join(f"{name} {count}" for name, count in report.served_by.most_common())
    print(f"  served by: {served}")
    rows = [("provider", "faults injected", "transitions", "openings")]
    for name, transitions in report.transitions.items():
        injected = report.injected.get(name)
        shown = ", ".join(f"{k} {v}" for k, v in sorted(injected.items())) if injected else "-"
        rows.append((name, shown, str(transitions), str(report.openings[name])))
    table(rows)
    print(f"  attempts refused by a breaker (open, or its half-open trial busy): {report.refused}")
    print(f"  unexpected exceptions (not LLMError): {len(report.unexpected)}")
    for line in report.unexpected[:5]:
        print(f"    {line}")
    print(f"  wedged breakers: {len(report.wedged)} {report.wedged or ''}")


def show_false_opens(report: Any, threshold: int) -> None:
    name = next(iter(report.openings))
    injected = report.injected[name]
    attempts = sum(injected.values())
    failure_rate = injected.get("5xx", 0) / attempts if attempts else 0.0
    openings = report.openings[name]
    print(
        f"\nFalse opens: {report.requests} requests, primary with a {failure_rate:.1%} "
        f"background 5xx rate, breaker threshold {threshold}"
    )
    print(
        f"  openings {openings} ({openings / report.requests * 1000:.2f} per 1000 requests), "
        f"attempts refused {report.refused}, success rate {report.success_rate:.1%}, "
        f"wedged {len(report.wedged)}"
    )


async def main(args: argparse.Namespace) -> int:
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    chaos = importlib.import_module(f"{PACKAGE}.llm.chaos")
    report = await chaos.run_chaos(
        requests=args.requests,
        concurrency=args.concurrency,
        faults=chaos.Faults(),
        cancel_rate=0.05,
        attempt_timeout=args.timeout,
        failure_threshold=3,
        cooldown_seconds=0.5,
        seed=args.seed,
    )
    show_chaos(report)
    background = await chaos.run_chaos(
        requests=args.requests,
        concurrency=args.concurrency,
        faults=chaos.Faults(
            server_error=0.05, hang=0, malformed=0, error_body=0, rate_limit_burst=0
        ),
        faulty_providers=1,
        cancel_rate=0,
        attempt_timeout=args.timeout,
        failure_threshold=5,
        cooldown_seconds=1.0,  # short, so that every false opening is seen and counted
        seed=args.seed,
    )
    show_false_opens(background, threshold=5)
    broken = report.wedged or report.unexpected or background.wedged or background.unexpected
    return 1 if broken else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=1.0, help="seconds per attempt")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        project = render_bench_project(Path(workdir) / "bench-app", with_llm=True)
        sys.path.insert(0, str(project / "src"))
        sys.exit(asyncio.run(main(arguments)))
