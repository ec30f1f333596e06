# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The service's telemetry: /metrics, traces and step metrics, started and stopped with it.

`service.py` enters `telemetry()` before the worker starts and builds the worker with
`worker_interceptors()`: step metrics always, tracing when it is on.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import structlog

from .metrics import (
    METRICS_ADDRESS_ENV,
    MetricsConfigError,
    MetricsEndpoint,
    StepMetricsInterceptor,
    load_metrics_settings,
)
from .tracing import configure_tracing, otlp_endpoint, shutdown_tracing, tracing_interceptors

log = structlog.get_logger(__name__)


@asynccontextmanager
async def telemetry() -> AsyncIterator[None]:
    """Serve /metrics and export traces (when configured) while the block runs."""
    with contextlib.ExitStack() as stack:
        _serve_metrics(stack)
        if configure_tracing():
            log.info("tracing_on", endpoint=otlp_endpoint())
        try:
            yield
        finally:
            shutdown_tracing()


def _serve_metrics(stack: contextlib.ExitStack) -> MetricsEndpoint | None:
    try:
        settings = load_metrics_settings()
        if not settings.enabled:
            log.info("metrics_off", setting=f"{METRICS_ADDRESS_ENV}=off")
            return None
        endpoint = stack.enter_context(MetricsEndpoint(settings))
    except MetricsConfigError as error:
        # Agents keep running without /metrics; `restack doctor` reports the same problem.
        log.error("metrics_failed", error=str(error))
        return None
    if endpoint.fell_back:
        log.warning(
            "metrics_listening",
            url=endpoint.url,
            note=f"{settings.address} was in use; set {METRICS_ADDRESS_ENV} to choose the port",
        )
    else:
        log.info("metrics_listening", url=endpoint.url)
    return endpoint


def worker_interceptors(agent_names: Iterable[str] = ()) -> list[Any]:
    """Interceptors a worker should run with: step metrics always, tracing when on."""
    return [StepMetricsInterceptor(), *tracing_interceptors(agent_names)]
