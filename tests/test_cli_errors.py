"""Every error a user can meet on the command line is a short message with its fix.

Each case breaks one thing in a rendered project (a config file, the environment, the
engine address, an input), runs the real `restack` command and checks: it fails, says
what is wrong in one `error:` line (plus at most a `fix:` line), and shows no traceback.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .acceptance_support import (
    client_env,
    free_port,
    restack_dev,
)
from .helpers import TemplateRepo, answers, assert_ok, git, project_env, render, restack

ENV_WITHOUT_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
REAL_PROVIDERS_ON = "\n".join(
    [
        "llm:",
        "  router: {backend: direct, timeout: 30}",
        "  providers:",
        "    - name: openai-primary",
        "      type: openai",
        "      model: gpt-4o-mini",
        '      api_key: "${OPENAI_API_KEY}"',
        "",
    ]
)


@dataclass
class Case:
    args: list[str]
    expect: str
    """Text the error must contain (the problem, or the fix)."""
    files: dict[str, str] = field(default_factory=dict)
    """Files to (over)write in the project first."""
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    code: int | None = None


def closed_address() -> str:
    return f"127.0.0.1:{free_port()}"


def cases() -> dict[str, Case]:
    dead_server = (
        "fastmcp:\n  servers:\n    - name: dead\n      transport: http\n"
        f"      url: http://127.0.0.1:{free_port()}/mcp\n      autostart: false\n"
    )
    return {
        "missing-env-var-test-llm": Case(
            ["test:llm"],
            "OPENAI_API_KEY",
            files={"config/llm_router.yaml": REAL_PROVIDERS_ON},
            unset=ENV_WITHOUT_KEYS,
        ),
        "missing-env-var-run-server": Case(
            ["run:server"],
            "OPENAI_API_KEY",
            files={"config/llm_router.yaml": REAL_PROVIDERS_ON},
            unset=ENV_WITHOUT_KEYS,
            code=2,
        ),
        "broken-llm-config-run-server": Case(
            ["run:server"],
            "llm_router.yaml: not valid YAML (line 3",
            files={"config/llm_router.yaml": "llm:\n  router: [direct\n"},
            code=2,
        ),
        "broken-llm-config-dev": Case(
            ["dev", "--memory", "--port", str(free_port())],
            "llm_router.yaml: not valid YAML",
            files={"config/llm_router.yaml": "llm: [\n"},
            code=2,
        ),
        "broken-tools-config-dev": Case(
            ["dev", "--memory", "--port", str(free_port())],
            "tools.yaml is not valid YAML (line 3, column 1",
            files={"config/tools.yaml": "fastmcp:\n  servers: [\n"},
            code=2,
        ),
        "broken-tools-config-test-tools": Case(
            ["test:tools"],
            "tools.yaml is not valid YAML",
            files={"config/tools.yaml": "fastmcp: {servers: [}\n"},
            code=2,
        ),
        "broken-prompts-config-run-server": Case(
            ["run:server"],
            "prompts.yaml is not valid YAML (line 1",
            files={"config/prompts.yaml": "prompts: {a: [}\n"},
            code=2,
        ),
        "broken-prompts-config-list": Case(
            ["prompts", "list"],
            "prompts.yaml is not valid YAML",
            files={"config/prompts.yaml": "prompts: [\n"},
        ),
        "broken-prompt-file": Case(
            ["prompts", "show", "summarize"],
            "v1.0.0.md (prompt 'summarize' version 1.0.0): single '}' at line 5",
            files={"prompts/summarize/v1.0.0.md": "---\nversion: 1.0.0\n---\nHello\nx }\n"},
        ),
        "broken-project-answers": Case(
            ["g", "agent", "Planner"],
            ".copier-answers.yml is not valid YAML (line 2, column 1",
            files={".copier-answers.yml": "[not yaml\n"},
        ),
        "unknown-prompt": Case(["prompts", "show", "no_such_prompt"], "no_such_prompt"),
        "unknown-prompt-in-agent": Case(
            ["g", "agent", "Writer", "--prompt", "no_such_prompt"], "no_such_prompt", code=2
        ),
        "unreachable-engine-run-agent": Case(
            ["run:agent", "GreeterAgent", '{"name": "Ada"}'],
            "Cannot reach the Restack engine",
            env={"RESTACK_ENGINE_ADDRESS": closed_address()},
        ),
        "unreachable-engine-run-server": Case(
            ["run:server"],
            "Cannot reach the Restack engine",
            env={"RESTACK_ENGINE_ADDRESS": closed_address()},
        ),
        "dead-tool-server": Case(
            ["test:tools", "--server", "dead"], "dead", files={"config/tools.yaml": dead_server}
        ),
        "unknown-agent": Case(["run:agent", "NoSuchAgent", "{}"], "restack g agent NoSuchAgent"),
        "invalid-json-input": Case(["run:agent", "GreeterAgent", "{name: Ada}"], "not valid JSON"),
        "invalid-input-fields": Case(["run:agent", "GreeterAgent", '{"nme": "Ada"}'], "name"),
        "invalid-generator-name": Case(["g", "workflow", "9lives"], "not a valid workflow name"),
        "over-long-generator-name": Case(["g", "function", "f" * 300], "at most"),
        "invalid-prompt-version": Case(
            ["g", "prompt", "notes", "--version", "1.2"], "not a semantic version"
        ),
        "invalid-transport": Case(
            ["g", "tool-server", "web", "--transport", "pigeon"], "--transport stdio or http"
        ),
        "generator-conflict": Case(["g", "function", "compose_greeting"], "--force"),
    }


CASES = cases()


@pytest.fixture(scope="module")
def project(template_repo: TemplateRepo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(template_repo, tmp_path_factory.mktemp("errors") / "demo-app")


@pytest.fixture
def clean_project(project: Path) -> Iterator[Path]:
    yield project
    git(project, "checkout", "--quiet", "--", ".")
    git(project, "clean", "--quiet", "-fd")


def assert_short_error(result: subprocess.CompletedProcess[str], expect: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output, output
    assert expect in " ".join(output.split()), output
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    if errors:  # the failure is on stderr: one error line and its fix, nothing else
        assert errors[0].startswith("error: "), result.stderr
        assert len(errors) <= 2 and all(line.startswith("fix: ") for line in errors[1:]), errors
    else:  # a report on stdout (test:tools): short, and it names the fix
        assert len(result.stdout.splitlines()) <= 6 and "fix:" in result.stdout, result.stdout


@pytest.mark.parametrize("name", list(CASES))
def test_error_is_one_line_with_its_fix(clean_project: Path, name: str) -> None:
    case = CASES[name]
    package = answers(clean_project)["package_name"]
    for relative, text in case.files.items():
        (clean_project / relative).write_text(text, encoding="utf-8")
    env = {**project_env(clean_project), **case.env}
    for variable in case.unset:
        env.pop(variable, None)

    result = subprocess.run(
        [sys.executable, "-m", package, *case.args],
        cwd=clean_project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert_short_error(result, case.expect)
    if case.code is not None:
        assert result.returncode == case.code, result.stderr


# ------------------------------------------------------------------ an agent that fails

FAILING_FUNCTION = """\
from pydantic import BaseModel
from restack_ai.function import NonRetryableError, function


class RejectOrderInput(BaseModel):
    order_id: str


@function.defn()
async def reject_order(function_input: RejectOrderInput) -> str:
    order = function_input.order_id
    raise NonRetryableError(f"payment provider declined order {order} (card expired)")
"""

FAILING_AGENT = """\
from datetime import timedelta

from pydantic import BaseModel
from restack_ai.agent import RetryPolicy, agent, import_functions

with import_functions():
    from ..functions.reject_order import RejectOrderInput, reject_order


class CheckoutInput(BaseModel):
    order_id: str


@agent.defn()
class CheckoutAgent:
    @agent.run
    async def run(self, agent_input: CheckoutInput) -> str:
        return await agent.step(
            function=reject_order,
            function_input=RejectOrderInput(order_id=agent_input.order_id),
            schedule_to_close_timeout=timedelta(seconds=30),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )
"""


@pytest.mark.slow
def test_a_failing_agent_reports_its_root_cause_in_one_line(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = render(template_repo, tmp_path / "demo-app", {"with_tools": False})
    package = answers(project)["package_name"]
    (project / f"src/{package}/functions/reject_order.py").write_text(FAILING_FUNCTION, "utf-8")
    (project / f"src/{package}/agents/checkout_agent.py").write_text(FAILING_AGENT, "utf-8")
    assert_ok(restack(project, "doctor", "--json"), "doctor before the engine runs")

    with restack_dev(project, project_env(project), tmp_path / "dev.log") as address:
        result = subprocess.run(
            [sys.executable, "-m", package, "run:agent", "CheckoutAgent", '{"order_id": "A-17"}'],
            cwd=project,
            env=client_env(project, address),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert_short_error(result, "payment provider declined order A-17 (card expired)")
    assert "temporal workflow show --workflow-id CheckoutAgent-" in result.stderr
    assert result.stdout.strip() == ""
