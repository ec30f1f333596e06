# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Read what a running service exports on /metrics."""

from __future__ import annotations

import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from ..common.metrics import running_endpoints


def metrics_url(pid: int, project: Path, timeout_seconds: float = 60) -> str:
    """The /metrics URL of the service process `pid` running in `project`."""
    directory = project / ".restack" / "metrics"
    deadline = time.monotonic() + timeout_seconds
    while True:
        for endpoint in running_endpoints(directory):
            if endpoint.pid == pid:
                return endpoint.url
        if time.monotonic() > deadline:
            raise TimeoutError(f"process {pid} listed no /metrics endpoint in {directory}")
        time.sleep(0.1)


@dataclass
class MetricsSnapshot:
    """Samples scraped from a /metrics endpoint, by sample name."""

    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=dict)

    def value(self, name: str, **labels: str) -> float:
        """The sum of `name` over every series whose labels include `labels` (0 if none)."""
        return sum(
            value
            for series, value in self.samples.get(name, [])
            if all(series.get(key) == wanted for key, wanted in labels.items())
        )

    def series(self, name: str) -> list[dict[str, str]]:
        return [series for series, _ in self.samples.get(name, [])]


def scrape_metrics(url: str) -> MetricsSnapshot:
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode("utf-8")
    snapshot = MetricsSnapshot()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            snapshot.samples.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return snapshot
