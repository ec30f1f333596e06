# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""`restack doctor`'s observability checks: the /metrics endpoint and trace export."""

from __future__ import annotations

import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable

from ..common.metrics import (
    METRICS_ADDRESS_ENV,
    MetricsConfigError,
    MetricsSettings,
    load_metrics_settings,
    running_endpoints,
)
from ..common.tracing import otlp_endpoint
from .checks import Check

SECTION = "Observability"


def observability_checks() -> Iterable[Check]:
    yield from metrics_checks()
    yield tracing_check()


def metrics_checks() -> Iterable[Check]:
    try:
        settings = load_metrics_settings()
    except MetricsConfigError as error:
        problem, _, fix = str(error).partition(" Fix: ")
        yield Check(SECTION, "metrics", "fail", problem, fix[:1].upper() + fix[1:])
        return
    if not settings.enabled:
        yield Check(SECTION, "metrics", "ok", f"off ({METRICS_ADDRESS_ENV}=off)")
        return
    endpoints = running_endpoints()
    for endpoint in endpoints:
        name = f"metrics (pid {endpoint.pid})"
        series = _scrape(endpoint.url)
        if series is None:
            yield Check(
                SECTION,
                name,
                "fail",
                f"the worker does not answer on {endpoint.url}",
                "Restart the service (`restack run:server` or `restack dev`).",
            )
        else:
            yield Check(SECTION, name, "ok", f"{endpoint.url} serves {series} series")
    if endpoints:
        return
    if settings.port == 0 or _can_bind(settings):
        where = f"http://{settings.address}/metrics" if settings.port else "a free port"
        yield Check(SECTION, "metrics", "ok", f"no service running; it will serve {where}")
    else:
        yield Check(
            SECTION,
            "metrics",
            "warn",
            f"{settings.address} is taken by another program; the service will serve "
            "/metrics on a free port instead (printed at startup)",
            f"Set {METRICS_ADDRESS_ENV} to a free host:port so Prometheus finds it.",
        )


def tracing_check() -> Check:
    endpoint = otlp_endpoint()
    if endpoint is None:
        return Check(
            SECTION, "traces", "ok", "off (set OTEL_EXPORTER_OTLP_ENDPOINT to export them)"
        )
    parts = urllib.parse.urlsplit(endpoint)
    host = parts.hostname or "localhost"
    port = parts.port or (443 if parts.scheme == "https" else 4318)
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        return Check(
            SECTION,
            "traces",
            "warn",
            f"OTLP endpoint {endpoint} is not reachable ({error.strerror or error})",
            "Start your collector, or fix OTEL_EXPORTER_OTLP_ENDPOINT.",
        )
    return Check(SECTION, "traces", "ok", f"exported over OTLP to {endpoint}")


def _scrape(url: str) -> int | None:
    """How many series the endpoint serves, or None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            text = response.read().decode("utf-8", errors="replace")
    except (urllib.error.URLError, OSError):
        return None
    return sum(1 for line in text.splitlines() if line and not line.startswith("#"))


def _can_bind(settings: MetricsSettings) -> bool:
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the metrics server does, so a port in TIME_WAIT does not count as taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError:
            return False
    return True
