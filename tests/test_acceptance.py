"""The spec's acceptance flow end to end, over real wire formats, and through a worker crash.

Each test renders a project and grows it with the generators as a user would. The first
runs the project's own checks on it, end-to-end tests included; the others run the
embedded engine and the project's service as real processes and the agent from the
command line. The fake LLM servers run in this process (on a loop of their own) and
speak the providers' real HTTP wire formats; tool servers are real MCP servers on stdio.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from .acceptance_support import (
    background_loop,
    client_env,
    command_line,
    descendants,
    project_on_path,
    reap,
    restack_dev,
    restack_in,
    stop,
    wait_until,
)
from .helpers import TemplateRepo, assert_ok, check_project, git, render, restack

TOPIC = "AI safety"
AGENT_FILES = (
    "src/research_agent/tools/research_mcp.py",
    "prompts/analyze_research/v1.0.0.md",
    "src/research_agent/agents/research_agent.py",
)


@dataclass
class FlowProject:
    """The project after the spec's generator steps, with what those steps printed."""

    path: Path
    llm_config_step: subprocess.CompletedProcess[str]
    llm_config_changed: bool


@pytest.fixture(scope="module")
def research_project(
    template_repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory
) -> FlowProject:
    """§10 steps 1-5: a new `research-agent` project grown with every generator."""
    project = render(
        template_repo,
        tmp_path_factory.mktemp("acceptance") / "research-agent",
        {"project_name": "research-agent"},
    )
    shipped = (project / "config/llm_router.yaml").read_text(encoding="utf-8")
    step2 = restack(project, "g", "llm-config")
    changed = (project / "config/llm_router.yaml").read_text(encoding="utf-8") != shipped
    assert_ok(restack(project, "g", "tool-server", "Research"), "g tool-server Research")
    assert_ok(restack(project, "g", "prompt", "analyze-research", "--version", "1.0.0"), "g prompt")
    assert_ok(
        restack(
            project,
            "g",
            "agent",
            "ResearchAgent",
            "--with-llm",
            "--tools",
            "research",
            "--prompt",
            "analyze-research",
        ),
        "g agent ResearchAgent",
    )
    git(project, "add", "-A")
    git(project, "commit", "--quiet", "-m", "Research agent with LLM, tools and a prompt")
    return FlowProject(project, step2, changed)


def run_agent(project: Path, address: str, payload: dict[str, Any]) -> dict[str, Any]:
    result = restack_in(
        project, "run:agent", "ResearchAgent", json.dumps(payload), env=client_env(project, address)
    )
    assert_ok(result, "restack run:agent ResearchAgent")
    return json.loads(result.stdout)  # type: ignore[no-any-return]


# ------------------------------------------------------------------ 1. the spec's flow


@pytest.mark.slow
def test_spec_acceptance_flow_offline(research_project: FlowProject) -> None:
    project = research_project.path

    # Step 2: a new project already has the starter router config, so the step finds it
    # identical and succeeds without writing anything.
    step2 = research_project.llm_config_step
    assert step2.returncode == 0, step2.stdout + step2.stderr
    assert "identical  config/llm_router.yaml" in step2.stdout
    assert not research_project.llm_config_changed
    config = yaml.safe_load((project / "config/llm_router.yaml").read_text(encoding="utf-8"))
    enabled = [p for p in config["llm"]["providers"] if p.get("enabled", True)]
    assert [p["type"] for p in enabled] == ["mock"]
    for relative in AGENT_FILES:
        assert (project / relative).is_file(), relative
    tools = yaml.safe_load((project / "config/tools.yaml").read_text(encoding="utf-8"))
    assert {s["name"] for s in tools["fastmcp"]["servers"]} == {"text", "research"}

    # The generated agent, tool server and prompt pass the project's lint and types.
    # Their own tests (the new agent's runs it on the embedded engine and a service that
    # starts both tool servers, offline) run with the whole suite of the all-on project
    # that tests/test_generators.py grows with the same generator commands, among others.
    #
    # Steps 6-8 as a user types them (`restack dev`, `restack run:agent ResearchAgent`,
    # then `restack doctor --check-tools`: all systems operational) run in
    # docs/getting-started.md, whose commands and output tests/test_docs.py checks on a
    # project grown by the same steps; the tests below run this one through `restack dev`,
    # with real wire formats and through a crash.
    check_project(project, ())


# ------------------------------------------------------------------ 2. fallback on the wire


def fallback_config(openai_url: str, anthropic_url: str) -> str:
    return f"""\
llm:
  router:
    backend: direct
    timeout: 15
  providers:
    - name: openai-primary
      type: openai
      model: gpt-4o-mini
      base_url: "{openai_url}"
      api_key: "${{OPENAI_API_KEY}}"
      priority: 1
    - name: anthropic-fallback
      type: anthropic
      model: claude-3-5-haiku-20241022
      base_url: "{anthropic_url}"
      api_key: "${{ANTHROPIC_API_KEY}}"
      priority: 2
  fallback:
    max_retries_per_provider: 1
    retry:
      initial_seconds: 0.05
      max_seconds: 0.2
      jitter_seconds: 0
"""


@pytest.mark.slow
def test_acceptance_flow_with_fallback_over_real_wire_formats(
    research_project: FlowProject, tmp_path: Path
) -> None:
    project = Path(
        shutil.copytree(
            research_project.path,
            tmp_path / "research-agent",
            ignore=shutil.ignore_patterns(".restack", "__pycache__", ".mypy_cache"),
        )
    )
    keys = {"OPENAI_API_KEY": "sk-test-openai", "ANTHROPIC_API_KEY": "sk-ant-test"}
    with project_on_path(project), background_loop() as loop:
        from research_agent.llm.testing import FakeLLMServer, Fault

        openai = FakeLLMServer("openai", api_key=keys["OPENAI_API_KEY"])
        anthropic = FakeLLMServer("anthropic", api_key=keys["ANTHROPIC_API_KEY"])
        loop.run(openai.start())
        loop.run(anthropic.start())
        try:
            # Far more failures than the run can use up: the primary never recovers.
            openai.inject(Fault.http(503), times=100)
            (project / "config/llm_router.yaml").write_text(
                fallback_config(openai.base_url, anthropic.base_url), encoding="utf-8"
            )
            with restack_dev(project, client_env(project, **keys), tmp_path / "dev.log") as addr:
                result = run_agent(project, addr, {"topic": TOPIC})
            openai_requests = loop.call(lambda: list(openai.requests))
            anthropic_requests = loop.call(lambda: list(anthropic.requests))
        finally:
            loop.run(openai.stop())
            loop.run(anthropic.stop())

    assert result["provider"] == "anthropic-fallback", result
    assert result["stopped"] == "answer"
    assert result["prompt"] == "analyze_research@1.0.0"

    # The primary was tried with its key, on its own wire format, and failed.
    # Every LLM call tried it twice (max_retries_per_provider: 1) before falling back.
    assert len(openai_requests) == 2 * len(anthropic_requests), len(openai_requests)
    for request in openai_requests:
        assert request.path == "/v1/chat/completions"
        assert request.headers["authorization"] == f"Bearer {keys['OPENAI_API_KEY']}"

    # The fallback drove a real tool call and answered from its result.
    assert result["tool_calls"], result
    assert all(call["ok"] and call["server"] == "research" for call in result["tool_calls"])
    assert len(anthropic_requests) == 2, [r.body for r in anthropic_requests]
    for request in anthropic_requests:
        assert request.path == "/v1/messages"
        assert request.headers["x-api-key"] == keys["ANTHROPIC_API_KEY"]
        assert "anthropic-version" in request.headers
        # The rendered prompt travels as Anthropic's top-level system prompt.
        assert TOPIC in json.dumps(request.body.get("system"))
    first, final = (request.body for request in anthropic_requests)
    # Both of the research server's tools were offered in Anthropic's tool shape.
    assert {tool["name"] for tool in first["tools"]} == {
        f"{call['server']}__{call['tool']}" for call in result["tool_calls"]
    }
    assert all("input_schema" in tool for tool in first["tools"])
    uses = {
        block["id"]: block
        for turn in final["messages"]
        if turn["role"] == "assistant" and isinstance(turn["content"], list)
        for block in turn["content"]
        if block["type"] == "tool_use"
    }
    results = [
        block
        for turn in final["messages"]
        if turn["role"] == "user" and isinstance(turn["content"], list)
        for block in turn["content"]
        if block["type"] == "tool_result"
    ]
    assert uses and results, final["messages"]
    assert {block["tool_use_id"] for block in results} == set(uses)
    returned = json.dumps([block["content"] for block in results])
    for call in result["tool_calls"]:
        assert json.dumps(call["result"])[1:-1] in returned
        assert call["result"] in result["answer"]


# ------------------------------------------------------------------ 3. a crash mid-tool-call

SLOW_SERVER = '''\
"""A slow MCP server from outside the project: one tool that takes a few seconds."""

import asyncio
import os
from pathlib import Path

from fastmcp import FastMCP

mcp = FastMCP("slow")


def note(event: str) -> None:
    with Path(os.environ["SLOW_TOOL_MARKER"]).open("a", encoding="utf-8") as marker:
        marker.write(f"{event} {os.getpid()}\\n")


@mcp.tool
async def crunch(text: str) -> str:
    """Work on a text for a while and return the outcome."""
    note("start")
    await asyncio.sleep(float(os.environ["SLOW_TOOL_SECONDS"]))
    note("done")
    return f"crunched:{text.upper()}"


if __name__ == "__main__":
    mcp.run(show_banner=False)
'''


def marker_lines(marker: Path) -> list[tuple[str, int]]:
    if not marker.exists():
        return []
    lines = marker.read_text(encoding="utf-8").split()
    return [(event, int(pid)) for event, pid in zip(lines[::2], lines[1::2], strict=True)]


def configure_slow_agent(project: Path, root: Path, llm_url: str) -> None:
    """Register the slow server as a third-party stdio server, point the router at the
    fake LLM, and generate an LLM agent that uses the server."""
    script = root / "vendor" / "slow_mcp.py"
    script.parent.mkdir()
    script.write_text(SLOW_SERVER, encoding="utf-8")
    # Stdio servers get only the environment listed for them, taken from the service's.
    entry = f"""
    - name: slow
      command: {json.dumps(sys.executable)}
      args: [{json.dumps(str(script))}]
      transport: stdio
      timeout: 60
      env:
        SLOW_TOOL_MARKER: "${{SLOW_TOOL_MARKER}}"
        SLOW_TOOL_SECONDS: "5"
"""
    tools = project / "config/tools.yaml"
    tools.write_text(tools.read_text(encoding="utf-8") + entry, encoding="utf-8")
    (project / "config/llm_router.yaml").write_text(
        f"""\
llm:
  providers:
    - name: openai
      type: openai
      model: gpt-4o-mini
      base_url: "{llm_url}"
      api_key: "${{OPENAI_API_KEY}}"
""",
        encoding="utf-8",
    )
    assert_ok(restack(project, "g", "agent", "Slow", "--with-llm", "--tools", "slow"), "g agent")


@pytest.mark.slow
def test_worker_crash_mid_tool_call_resumes_without_repeating_llm_calls(
    template_repo: TemplateRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "slow-tool.log"
    key = "sk-test-durable"
    project = render(template_repo, tmp_path / "durable-agent", {"project_name": "durable-agent"})
    # Every process started here or by a service, checked (and ended) by PID at the end.
    tracked: dict[int, str] = {}
    try:
        with contextlib.ExitStack() as cleanup:
            cleanup.enter_context(project_on_path(project))
            loop = cleanup.enter_context(background_loop())
            from durable_agent.client import wait_for_service
            from durable_agent.common.engine import EmbeddedEngine
            from durable_agent.llm.testing import FakeLLMServer
            from durable_agent.testing import local_settings, start_service_process

            llm = FakeLLMServer("openai", api_key=key)
            loop.run(llm.start())
            cleanup.callback(lambda: loop.run(llm.stop()))
            configure_slow_agent(project, tmp_path, llm.base_url)

            # The service reads config/ from its working directory and keys from its env.
            monkeypatch.chdir(project)
            monkeypatch.setenv("OPENAI_API_KEY", key)
            monkeypatch.setenv("SLOW_TOOL_MARKER", str(marker))
            monkeypatch.delenv("LLM_ROUTER_CONFIG", raising=False)

            engine = EmbeddedEngine(port=0, log_file=tmp_path / "engine.log")
            engine.start()
            cleanup.callback(engine.stop)
            assert engine.process is not None
            tracked[engine.process.pid] = command_line(engine.process.pid)
            settings = local_settings(engine.address)

            service_a = start_service_process(engine.address, tmp_path / "service-a.log")
            # Should the test fail before the crash, A still stops cleanly, children and all.
            cleanup.callback(stop, service_a, signal.SIGTERM)
            tracked[service_a.pid] = command_line(service_a.pid)
            asyncio.run(wait_for_service(settings, timeout_seconds=60))

            output = tmp_path / "run-agent.out"
            with output.open("wb") as stdout:
                payload = json.dumps({"topic": TOPIC})
                runner = subprocess.Popen(
                    [sys.executable, "-m", "durable_agent", "run:agent", "Slow", payload],
                    cwd=project,
                    env=client_env(project, engine.address),
                    stdout=stdout,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            cleanup.callback(stop, runner, signal.SIGTERM)
            tracked[runner.pid] = command_line(runner.pid)

            wait_until(
                lambda: bool(marker_lines(marker)) or runner.poll() is not None,
                timeout=120,
                what="the slow tool to start on service A",
            )
            assert runner.poll() is None, output.read_text(encoding="utf-8")
            on_a = descendants(service_a.pid)
            tracked.update({pid: command_line(pid) for pid in on_a})
            os.kill(service_a.pid, signal.SIGKILL)
            service_a.wait(timeout=30)
            killed_at = time.monotonic()

            service_b = start_service_process(engine.address, tmp_path / "service-b.log")
            cleanup.callback(stop, service_b, signal.SIGTERM)
            tracked[service_b.pid] = command_line(service_b.pid)
            runner.wait(timeout=300)
            recovery = time.monotonic() - killed_at
            on_b = descendants(service_b.pid)
            tracked.update({pid: command_line(pid) for pid in on_b})
            requests = loop.call(lambda: [request.body for request in llm.requests])
            # Printed for the record; how fast recovery is depends on the heartbeat timeout.
            print(f"\nrecovery after SIGKILL of service A (kill -> result): {recovery:.1f}s")
    finally:
        leftovers = reap(tracked)

    text = output.read_text(encoding="utf-8")
    assert runner.returncode == 0, text
    result = json.loads(text[text.index("{") :])
    events = marker_lines(marker)

    # The run finished on service B, with the tool's own result in the answer.
    assert result["stopped"] == "answer", result
    assert result["provider"] == "openai"
    assert "crunched:AI SAFETY" in result["answer"], result
    assert [(c["server"], c["tool"], c["ok"]) for c in result["tool_calls"]] == [
        ("slow", "crunch", True)
    ]

    # The tool started in A's server process, and again, retried, in B's. (That it wrote
    # its marker at all shows the `env` entry of tools.yaml reached the stdio child.)
    starts = [pid for event, pid in events if event == "start"]
    assert len(starts) == 2, events
    assert starts[0] in on_a and starts[1] in on_b, (events, on_a, on_b)
    assert ("done", starts[1]) in events

    # The LLM call made before the crash came from history: one call, then the final one.
    assert len(requests) == 2, requests
    first, final = requests
    assert [tool["function"]["name"] for tool in first["tools"]] == ["slow__crunch"]
    tool_messages = [m for m in final["messages"] if m["role"] == "tool"]
    assert [m["content"] for m in tool_messages] == ["crunched:AI SAFETY"], final["messages"]

    assert leftovers == [], f"processes left running: {leftovers}"
