# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Prometheus metrics of the prompt registry: which prompt versions are in use."""

from __future__ import annotations

from prometheus_client import Counter

prompt_renders_total = Counter(
    "prompt_renders_total", "Prompts filled in, by name and exact version", ["prompt", "version"]
)


def rendered(prompt: str, version: str) -> None:
    prompt_renders_total.labels(prompt, version).inc()
