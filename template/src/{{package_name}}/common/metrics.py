# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Prometheus metrics: the service's /metrics endpoint, shared bucket layouts, step metrics.

Every component defines its metrics in its own package (`llm/metrics.py`,
`mcp/metrics.py`, `prompts/metrics.py`) in prometheus_client's default registry; the
service serves them all on one endpoint:

    RESTACK_METRICS_ADDRESS=127.0.0.1:9464   the default (loopback, port 9464)
    RESTACK_METRICS_ADDRESS=0.0.0.0:9464     reachable from other hosts (containers)
    RESTACK_METRICS_ADDRESS=127.0.0.1:0      any free port
    RESTACK_METRICS_ADDRESS=off              no endpoint

Several workers on one machine do not collide: when the port is taken, a worker serves
on a free port instead and says so. Each running worker lists its address in
`.restack/metrics/<pid>.json` (Prometheus `file_sd` format), which `restack doctor`
reads and Prometheus can scrape from (`file_sd_configs`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIServer

import temporalio.client
from prometheus_client import Counter, Histogram, disable_created_metrics, start_http_server
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from .settings import project_root

METRICS_ADDRESS_ENV = "RESTACK_METRICS_ADDRESS"
DEFAULT_METRICS_HOST = "127.0.0.1"
DEFAULT_METRICS_PORT = 9464  # the port OpenTelemetry's Prometheus exporter uses too
_OFF = ("off", "false", "0", "no", "none", "")

# `*_created` series would double what Prometheus stores and nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Latencies of LLM calls, tool calls and steps: tens of milliseconds to minutes.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300)

agent_steps_total = Counter(
    "agent_steps_total",
    "Steps (function executions) run for agents and workflows, by outcome",
    ["workflow", "function", "outcome"],
)
agent_step_duration_seconds = Histogram(
    "agent_step_duration_seconds",
    "Duration of one step (one attempt of a function)",
    ["workflow", "function"],
    buckets=LATENCY_BUCKETS,
)


class MetricsConfigError(ValueError):
    """RESTACK_METRICS_ADDRESS cannot be used."""


@dataclass(frozen=True)
class MetricsSettings:
    host: str
    port: int
    enabled: bool = True

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def load_metrics_settings(value: str | None = None) -> MetricsSettings:
    """Parse `RESTACK_METRICS_ADDRESS` (`host:port`, `:port`, `port` or `off`)."""
    raw = (os.environ.get(METRICS_ADDRESS_ENV, "") if value is None else value).strip()
    if value is None and METRICS_ADDRESS_ENV not in os.environ:
        return MetricsSettings(DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT)
    if raw.lower() in _OFF:
        return MetricsSettings(DEFAULT_METRICS_HOST, DEFAULT_METRICS_PORT, enabled=False)
    host, _, port = raw.rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise MetricsConfigError(
            f"{METRICS_ADDRESS_ENV}={raw!r} is not an address. Fix: use host:port "
            f"(e.g. {DEFAULT_METRICS_HOST}:{DEFAULT_METRICS_PORT}), :0 for any free port, or off."
        )
    return MetricsSettings(host.strip("[]") or DEFAULT_METRICS_HOST, number)


def registry_dir() -> Path:
    """Where running workers list their /metrics addresses, one file per process."""
    return project_root() / ".restack" / "metrics"


@dataclass(frozen=True)
class RunningEndpoint:
    pid: int
    url: str
    target: str


def running_endpoints(directory: Path | None = None) -> list[RunningEndpoint]:
    """The /metrics endpoints of this project's live workers; stale entries are removed."""
    found: list[RunningEndpoint] = []
    for entry in sorted((directory or registry_dir()).glob("*.json")):
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))[0]
            pid = int(data["labels"]["pid"])
            target = str(data["targets"][0])
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            continue
        if not _alive(pid):
            with contextlib.suppress(OSError):
                entry.unlink()
            continue
        found.append(RunningEndpoint(pid, f"http://{target}/metrics", target))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class MetricsEndpoint:
    """The HTTP server that exports every metric of this process on `/metrics`."""

    def __init__(self, settings: MetricsSettings, *, directory: Path | None = None) -> None:
        self.settings = settings
        self.directory = directory or registry_dir()
        self.port: int | None = None
        self.fell_back = False
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._entry: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{self.target}/metrics"

    @property
    def target(self) -> str:
        """`host:port` as Prometheus scrapes it."""
        host = self.settings.host
        shown = DEFAULT_METRICS_HOST if host in ("0.0.0.0", "") else host
        return f"[{shown}]:{self.port}" if ":" in shown else f"{shown}:{self.port}"

    def start(self) -> MetricsEndpoint:
        try:
            self._bind(self.settings.port)
        except OSError as error:
            if error.errno != errno.EADDRINUSE or self.settings.port == 0:
                raise MetricsConfigError(
                    f"Cannot serve metrics on {self.settings.address} ({error.strerror}). "
                    f"Fix: set {METRICS_ADDRESS_ENV} to another host:port, or off."
                ) from error
            # Another worker (or program) has the port: serve on a free one instead.
            self._bind(0)
            self.fell_back = True
        self._register()
        return self

    def _bind(self, port: int) -> None:
        server, thread = start_http_server(port, addr=self.settings.host)
        self._server, self._thread = server, thread
        self.port = int(server.server_address[1])

    def _register(self) -> None:
        entry = self.directory / f"{os.getpid()}.json"
        target = [{"targets": [self.target], "labels": {"pid": str(os.getpid())}}]
        with contextlib.suppress(OSError):
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = entry.with_suffix(".tmp")
            partial.write_text(json.dumps(target), encoding="utf-8")
            partial.replace(entry)  # Prometheus never reads a half-written file
            self._entry = entry

    def stop(self) -> None:
        if self._entry is not None:
            with contextlib.suppress(OSError):
                self._entry.unlink()
            self._entry = None
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MetricsEndpoint:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class StepMetricsInterceptor(temporalio.client.Interceptor, Interceptor):
    """Counts and times every step a worker runs: `agent_steps_total`, `..._duration_seconds`.

    A client interceptor too (one that changes nothing), so that it can ride on the
    client a worker is built from.
    """

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _StepMetrics(next)


class _StepMetrics(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await super().execute_activity(input)
            outcome = "ok"
            return result
        except BaseException as error:
            if activity.is_cancelled() or type(error).__name__ == "CancelledError":
                outcome = "cancelled"
            raise
        finally:
            agent_step_duration_seconds.labels(info.workflow_type, info.activity_type).observe(
                time.perf_counter() - started
            )
            agent_steps_total.labels(info.workflow_type, info.activity_type, outcome).inc()
