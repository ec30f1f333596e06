# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Tool-call telemetry: Prometheus metrics, a GenAI `execute_tool` span and one log line.

`observed_tool_call(server, tool)` wraps one call: it counts it in `tool_calls_total`
(status `success`, `error` = the tool failed or refused the input, `unavailable` = the
server could not be reached or did not answer in time, `cancelled`), times it in
`tool_call_duration_seconds`, and logs `tool_called` or `tool_call_failed` with
`duration_ms` and `outcome`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import structlog
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Histogram

from ..common.metrics import LATENCY_BUCKETS
from ..common.tracing import GEN_AI_OPERATION_NAME, GEN_AI_TOOL_NAME, span

log = structlog.get_logger("tool_calls")

tool_calls_total = Counter(
    "tool_calls_total", "MCP tool calls by outcome", ["server", "tool", "status"]
)
tool_call_duration_seconds = Histogram(
    "tool_call_duration_seconds",
    "Duration of one MCP tool call",
    ["server", "tool"],
    buckets=LATENCY_BUCKETS,
)
tool_server_restarts_total = Counter(
    "tool_server_restarts_total",
    "Restarts of supervised tool servers (after a crash or failed health check)",
    ["server"],
)


def supervised(servers: Iterable[str]) -> None:
    """Start the restart counters of `servers` at zero, so they are scraped before any restart."""
    for server in servers:
        tool_server_restarts_total.labels(server)


def restarted(server: str) -> None:
    tool_server_restarts_total.labels(server).inc()


@contextmanager
def observed_tool_call(server: str, tool: str) -> Iterator[None]:
    """Measure, trace and log the tool call made inside the block."""
    attributes = {
        GEN_AI_OPERATION_NAME: "execute_tool",
        GEN_AI_TOOL_NAME: tool,
        "restack.tool.server": server,
    }
    started = time.perf_counter()
    status = "success"
    error_text = ""
    try:
        with span(f"execute_tool {tool}", attributes, SpanKind.CLIENT):
            yield
    except asyncio.CancelledError:
        status = "cancelled"
        raise
    except Exception as error:
        # Tool errors say whether trying again can help; anything else is a failure.
        status = "unavailable" if getattr(error, "retryable", False) else "error"
        error_text = str(error)
        raise
    finally:
        elapsed = time.perf_counter() - started
        tool_calls_total.labels(server, tool, status).inc()
        tool_call_duration_seconds.labels(server, tool).observe(elapsed)
        fields = {"server": server, "tool": tool, "duration_ms": round(elapsed * 1000, 1)}
        if status == "success":
            log.info("tool_called", outcome=status, **fields)
        else:
            log.warning("tool_call_failed", outcome=status, error=error_text, **fields)
