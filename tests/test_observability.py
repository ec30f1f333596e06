"""A generated project's metrics and dashboard against a real Prometheus server.

The user's path: render a project, generate an LLM agent with the text tools and a prompt,
run `restack dev`, run the agent once (its primary LLM provider is down, so the router
retries and falls back). A real Prometheus (Debian's `prometheus` package) finds the
service through the project's `.restack/metrics/*.json` and scrapes it; then every PromQL
expression of the shipped Grafana dashboard must return data through Prometheus' HTTP
API, and every metric it names must exist there.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .acceptance_support import (
    background_loop,
    client_env,
    doctor_checks,
    free_port,
    project_on_path,
    restack_dev,
    restack_in,
    stop,
    wait_until,
)
from .helpers import TemplateRepo, answers, assert_ok, render, restack

# Grafana's own variables, as a dashboard viewer would have them.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "10m", "$__interval": "15s"}

LLM_CONFIG = """\
llm:
  router:
    timeout: 10
  providers:
    - name: primary
      type: openai_compatible
      model: gpt-down
      base_url: http://127.0.0.1:{closed_port}/v1
      api_key: test-key
      priority: 0
    - name: fallback
      type: openai_compatible
      model: gpt-up
      base_url: {fallback_url}
      api_key: test-key
      priority: 1
      price: {{input: 1.0, output: 2.0}}
  fallback:
    conditions: [timeout, connection_error, 5xx, rate_limit]
    max_retries_per_provider: 2
    retry: {{initial_seconds: 0.01, max_seconds: 0.05, jitter_seconds: 0}}
    circuit_breaker: {{failure_threshold: 2, cooldown_seconds: 600}}
"""


@pytest.fixture(scope="module")
def prometheus() -> str:
    """The `prometheus` binary; installed with apt-get when missing and this runs as root."""
    found = shutil.which("prometheus")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "prometheus"],
        ):
            subprocess.run(command, env=env, capture_output=True, timeout=900, check=False)
        found = shutil.which("prometheus")
    if found is None:
        pytest.skip(
            "Prometheus is not installed and cannot be installed here (needs root and "
            "apt-get); install it with `apt-get install prometheus` to run this test"
        )
    return found


@contextlib.contextmanager
def running_prometheus(binary: str, project: Path, workdir: Path) -> Iterator[str]:
    """Prometheus scraping every worker the project lists, every second; yields its URL."""
    config = workdir / "prometheus.yml"
    targets = project / ".restack" / "metrics" / "*.json"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: restack-local\n"
        f"    file_sd_configs: [{{files: ['{targets}'], refresh_interval: 1s}}]\n",
        encoding="utf-8",
    )
    address = f"127.0.0.1:{free_port()}"
    log = workdir / "prometheus.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address={address}",
                "--log.level=warn",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://{address}"
    try:
        wait_until(
            lambda: process.poll() is not None or _ready(url),
            timeout=60,
            what=f"Prometheus to start (log: {log})",
        )
        assert process.poll() is None, log.read_text(encoding="utf-8", errors="replace")
        yield url
    finally:
        stop(process, signal.SIGTERM)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def api(url: str, path: str, **params: str) -> Any:
    query = urllib.parse.urlencode(params)
    with urllib.request.urlopen(f"{url}/api/v1/{path}?{query}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return body["data"]


def instant(url: str, expression: str) -> list[dict[str, Any]]:
    data = api(url, "query", query=expression)
    assert data["resultType"] == "vector", (expression, data)
    return list(data["result"])


def metric_names(query: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", query)  # label matchers, ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        is_function = text[match.end() :].lstrip().startswith("(")
        if not is_function and match.group() not in {"or", "and", "unless", "bool", "offset"}:
            names.add(match.group())
    return names


def test_every_dashboard_query_returns_data_from_prometheus(
    template_repo: TemplateRepo, tmp_path: Path, prometheus: str
) -> None:
    project = render(template_repo, tmp_path / "p")
    assert_ok(
        restack(project, "g", "prompt", "research", "--version", "1.0.0"), "g prompt research"
    )
    assert_ok(
        restack(
            project,
            "g",
            "agent",
            "Researcher",
            "--with-llm",
            "--tools",
            "text",
            "--prompt",
            "research",
        ),
        "g agent Researcher",
    )
    shipped = project / "deploy" / "prometheus" / "prometheus.yml"
    checked = subprocess.run(
        [str(Path(prometheus).with_name("promtool")), "check", "config", str(shipped)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    dashboard = json.loads(
        (project / "deploy" / "grafana" / "dashboards" / "restack.json").read_text()
    )
    expressions = [
        target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])
    ]
    assert len(expressions) >= 15

    with background_loop() as loop, project_on_path(project):
        testing = importlib.import_module(f"{answers(project)['package_name']}.llm.testing")
        fallback = loop.run(testing.FakeLLMServer("openai").start())
        (project / "config" / "llm_router.yaml").write_text(
            LLM_CONFIG.format(closed_port=free_port(), fallback_url=fallback.base_url),
            encoding="utf-8",
        )
        env = client_env(project, RESTACK_LOG_FORMAT="json")
        try:
            with (
                running_prometheus(prometheus, project, tmp_path) as prometheus_url,
                restack_dev(project, env, tmp_path / "dev.log") as address,
            ):
                client = client_env(project, address)
                checks = doctor_checks(restack_in(project, "doctor", "--json", env=client))
                [metrics] = [
                    c for name, c in checks.items() if name.startswith("Observability/metrics")
                ]
                assert metrics["status"] == "ok", checks
                service_url = re.search(r"http://\S+/metrics", metrics["detail"])
                assert service_url, metrics

                ran = restack_in(
                    project, "run:agent", "Researcher", '{"topic": "durable agents"}', env=client
                )
                assert ran.returncode == 0, ran.stdout + ran.stderr
                result = json.loads(ran.stdout)
                assert result["provider"] == "fallback" and result["tool_calls"], result

                # Wait until Prometheus holds what the service counted for this run.
                with urllib.request.urlopen(service_url.group(), timeout=10) as response:
                    exported = response.read().decode()
                steps = sum(
                    float(line.rsplit(" ", 1)[1])
                    for line in exported.splitlines()
                    if line.startswith("agent_steps_total{")
                )
                assert steps >= 3

                def scraped() -> bool:
                    found = instant(prometheus_url, "sum(agent_steps_total)")
                    return bool(found) and float(found[0]["value"][1]) >= steps

                wait_until(scraped, timeout=60, what="Prometheus to scrape the run")
                time.sleep(3)  # a few more scrapes, so rate() has samples after the run

                names = set(api(prometheus_url, "label/__name__/values"))
                for expression in expressions:
                    for name in metric_names(expression):
                        assert name in names, (
                            f"{expression!r} reads {name}, which Prometheus has not"
                        )
                    concrete = expression
                    for variable, value in GRAFANA_VARIABLES.items():
                        concrete = concrete.replace(variable, value)
                    assert instant(prometheus_url, concrete), f"no data for {concrete!r}"
        finally:
            loop.run(fallback.stop())
