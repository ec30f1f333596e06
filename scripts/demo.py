"""Generate a project from this template and run an LLM agent end to end, offline.

Steps: render the project with Copier, install it, grow it the way the spec's acceptance
flow does (a tool server, a versioned prompt, an agent that uses both), start
`restack dev` (embedded engine, tool servers and service), run the agent on the offline
mock LLM provider, print its JSON result, and stop everything.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import copier

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_service(project: Path, env: dict[str, str], deadline: float) -> None:
    """Poll `restack doctor --json` until the service polls the engine."""
    while time.monotonic() < deadline:
        result = subprocess.run(
            [str(BIN / "restack"), "doctor", "--json"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        try:
            checks = {check["name"]: check for check in json.loads(result.stdout)}
        except json.JSONDecodeError:
            checks = {}
        if checks.get("service", {}).get("status") == "ok":
            return
        time.sleep(0.5)
    raise SystemExit("The service did not come up in time; see the output above.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dest", type=Path, default=ROOT / "demo-project")
    parser.add_argument("--topic", default="AI safety", help="What the research agent works on")
    args = parser.parse_args()
    project: Path = args.dest.resolve()

    if project.exists():
        step(f"Removing the previous demo at {project}")
        shutil.rmtree(project)
    step(f"Generating the project into {project}")
    started = time.monotonic()
    copier.run_copy(
        str(ROOT),
        str(project),
        data={"project_name": "demo-project"},
        vcs_ref="HEAD",  # includes uncommitted template changes, handy while developing
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    print(f"    generated in {time.monotonic() - started:.2f}s")

    step("Installing the project")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "-e", str(project)], check=True
    )

    # Generators render from the template version the project records; HEAD also covers
    # a template with uncommitted changes.
    generator_env = {**os.environ, "RESTACK_TEMPLATE_REF": "HEAD"}
    for command in (
        ["g", "tool-server", "Research"],
        ["g", "prompt", "analyze-research", "--version", "1.0.0"],
        [
            "g",
            "agent",
            "ResearchAgent",
            "--with-llm",
            "--tools",
            "research",
            "--prompt",
            "analyze-research",
        ],
    ):
        step("restack " + " ".join(command))
        subprocess.run([str(BIN / "restack"), *command], cwd=project, env=generator_env, check=True)

    port = free_port()
    step(f"Starting `restack dev` (embedded engine on 127.0.0.1:{port} + service)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESTACK_ENGINE")}
    dev = subprocess.Popen(
        [str(BIN / "restack"), "dev", "--memory", "--port", str(port)],
        cwd=project,
        env=env,
        start_new_session=True,
    )
    client_env = {**env, "RESTACK_ENGINE_ADDRESS": f"127.0.0.1:{port}"}
    try:
        wait_for_service(project, client_env, time.monotonic() + 120)
        payload = json.dumps({"topic": args.topic})
        step(f"restack run:agent ResearchAgent '{payload}'")
        agent_started = time.monotonic()
        result = subprocess.run(
            [str(BIN / "restack"), "run:agent", "ResearchAgent", payload],
            cwd=project,
            env=client_env,
            check=False,
        )
        print(f"    agent finished in {time.monotonic() - agent_started:.2f}s")
    finally:
        step("Stopping `restack dev`")
        dev.send_signal(signal.SIGINT)
        try:
            dev.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dev.kill()
            dev.wait()
    if result.returncode == 0:
        step(f"Done. The project is in {project}; `cd` there and read its README.")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
