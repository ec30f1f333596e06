"""Running the shell blocks of the documentation the way a reader would.

Every fenced ```bash, ```sh, ```shell or ```console block of the template's docs and of
the generated project's docs either runs here or is marked, right before the fence, with
an HTML comment saying why it cannot:

    <!-- not-run: needs a real OpenAI key -->

A block may also be prepared by a hidden setup, run just before it (for instance to
recreate the situation a troubleshooting entry describes):

    <!-- setup: rm config/prompts.yaml -->

`bash`/`sh`/`shell` blocks run as one script with `set -eo pipefail` and must succeed.
`console` blocks are commands after `$ ` with the output the reader should see below
each; the real output (stdout and stderr together) must match, `...` standing for any
text (a line holding only `...` for any number of lines). Whitespace and line breaks are
compared loosely, since terminals wrap long lines. A console command may fail when the
block shows what it prints.

Each page runs in a sandbox: `$HOME` is a scratch directory holding `restack-template`
(a committed snapshot of this repository) and `my-agents` (a copy of one project
rendered for the whole run). Template pages start in `$HOME`, project pages in the
project. `restack` is the project's command around the current directory (as after
`pip install -e .`). A `restack dev` line starts the engine and the service in the
background (the "terminal 1" of the docs) on a free port, waits until the service polls,
and points the page's later commands at it; it is stopped when the page ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .acceptance_support import (
    command_line,
    descendants,
    free_port,
    logged,
    reap,
    stop,
    wait_until,
)

SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)")
_MARKER = re.compile(r"<!--\s*(?P<kind>not-run|setup)\b:?(?P<body>.*?)-->", re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # Copier colours its output even in a pipe
# `restack dev`, maybe after variable assignments (`OTEL_...=url restack dev`).
_DEV = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*restack\s+dev(\s|$)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")

PROJECT_NAME = "my-agents"
COMMAND_TIMEOUT = 300


# ------------------------------------------------------------------ finding blocks


@dataclass(frozen=True)
class Block:
    source: str
    line: int
    language: str
    text: str
    not_run: str | None = None
    setup: str | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"


class MarkerError(ValueError):
    """A marker the harness cannot act on; the message names the file and line."""


def shell_blocks(markdown: str, source: str) -> list[Block]:
    """The shell blocks of a Markdown text, with the markers written right before them."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    pending: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.lstrip().startswith("<!--"):
            end = index
            while "-->" not in lines[end] and end + 1 < len(lines):
                end += 1
            comment = "\n".join(lines[index : end + 1])
            if found := _MARKER.search(comment):
                body = textwrap.dedent(found["body"]).strip()
                if not body:
                    raise MarkerError(
                        f"{source}:{index + 1}: `{found['kind']}:` needs a text after it "
                        "(the reason the block cannot run, or the setup command)."
                    )
                pending[found["kind"]] = body
            index = end + 1
            continue
        opening = _FENCE.match(line)
        if opening is None:
            if line.strip():
                pending = {}
            index += 1
            continue
        fence, indent = opening["fence"], opening["indent"]
        body_lines: list[str] = []
        index += 1
        while index < len(lines):
            stripped = lines[index].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            text = lines[index]
            body_lines.append(text[len(indent) :] if text.startswith(indent) else text)
            index += 1
        language = opening["info"].lower()
        if language in SHELL_LANGUAGES:
            blocks.append(
                Block(
                    source=source,
                    line=index - len(body_lines),
                    language=language,
                    text="\n".join(body_lines) + "\n",
                    not_run=pending.get("not-run"),
                    setup=pending.get("setup"),
                )
            )
        pending = {}
        index += 1
    return blocks


# ------------------------------------------------------------------ console transcripts


@dataclass
class ConsoleStep:
    command: str
    expected: list[str] = field(default_factory=list)


def console_steps(text: str) -> list[ConsoleStep]:
    """`$ command` lines (a trailing backslash continues one) and the output under each."""
    steps: list[ConsoleStep] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("$ "):
            command = line[2:]
            while command.endswith("\\") and index + 1 < len(lines):
                index += 1
                command = command[:-1] + "\n" + lines[index]
            steps.append(ConsoleStep(command))
        elif steps:
            steps[-1].expected.append(line)
        elif line.strip():
            raise MarkerError(f"console output before any `$ ` command: {line!r}")
        index += 1
    return steps


def _trimmed(lines: list[str]) -> list[str]:
    lines = [line.rstrip() for line in lines]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the output is what the docs show, `...` standing for any text.

    Whitespace, line breaks included, is compared loosely: terminal output wraps where
    the width and the length of a path make it, which the docs cannot know.
    """
    shown = " ".join(" ".join(expected).split())
    printed = " ".join(" ".join(actual).split())
    parts = [part.strip() for part in re.split(r"\.\.\.", shown)]
    pattern = r".*?".join(re.escape(part) for part in parts)
    return re.fullmatch(pattern, printed, re.DOTALL) is not None


# ------------------------------------------------------------------ the sandbox

_SHIM = """\
#!/usr/bin/env bash
# `restack` of the project around the working directory, as `pip install -e .` gives it.
dir=$PWD
while [ ! -f "$dir/.copier-answers.yml" ]; do
  if [ "$dir" = / ]; then echo "restack: command not found (not inside a project)" >&2; exit 127; fi
  dir=$(dirname "$dir")
done
package=$(sed -n 's/^package_name: *//p' "$dir/.copier-answers.yml")
PYTHONPATH="$dir/src${{PYTHONPATH:+:$PYTHONPATH}}" exec {python} -m "$package" "$@"
"""


# Settings a reader's fresh shell does not have; the docs show what happens without them.
_NOT_INHERITED = (
    "RESTACK_",
    "OPENAI_",
    "ANTHROPIC_",
    "KONG_",
    "LOCAL_LLM_",
    "LLM_ROUTER_",
    "PYTEST_",
    "COV_",
)
# Variables bash sets itself; they are not carried from one block to the next.
_SHELL_OWN = {"_", "SHLVL", "PWD", "OLDPWD"}


@dataclass
class Sandbox:
    home: Path
    template: Path
    project: Path
    bin: Path

    def env(self) -> dict[str, str]:
        """The environment of a fresh machine: no engine address, no provider keys."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(_NOT_INHERITED) and key not in {"PYTHONPATH", "VIRTUAL_ENV"}
        }
        python_bin = str(Path(sys.executable).parent)
        path = os.pathsep.join([str(self.bin), python_bin, env.get("PATH", "")])
        env.update(HOME=str(self.home), PATH=path)
        return env


def make_sandbox(root: Path, template: Path, project: Path) -> Sandbox:
    """A scratch $HOME with the template snapshot and a copy of the shared project."""
    home = root / "home"
    home.mkdir(parents=True)
    (home / "restack-template").symlink_to(template, target_is_directory=True)
    copy = Path(shutil.copytree(project, home / PROJECT_NAME, symlinks=True))
    tools = root / "bin"
    tools.mkdir()
    shim = tools / "restack"
    shim.write_text(_SHIM.format(python=shlex.quote(sys.executable)), encoding="utf-8")
    shim.chmod(0o755)
    return Sandbox(home=home, template=home / "restack-template", project=copy, bin=tools)


# ------------------------------------------------------------------ running a page


class BlockFailed(AssertionError):
    pass


def _children_cpu() -> float:
    """CPU seconds used by finished child processes (a background `restack dev` counts
    once it has stopped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


class PageRun:
    """Runs one page's blocks in order, carrying the working directory between them."""

    def __init__(self, sandbox: Sandbox, start: Path, logs: Path) -> None:
        self.sandbox = sandbox
        self.cwd = start
        self.logs = logs
        self.env = sandbox.env()
        self._dev: subprocess.Popen[bytes] | None = None
        self.ran: list[tuple[str, float, float]] = []
        """Every command run, with its wall and CPU seconds (printed by the tests)."""

    # -- shell

    def _bash(self, script: str, *, strict: bool) -> subprocess.CompletedProcess[str]:
        """Run `script` where the last one left off: same directory, same exported variables."""
        state, exported = self.logs / "cwd", self.logs / "env"
        prologue = "set -eo pipefail\n" if strict else ""
        keep = f"pwd > {shlex.quote(str(state))}; env -0 > {shlex.quote(str(exported))}"
        wrapped = (
            f"cd {shlex.quote(str(self.cwd))}\ntrap {shlex.quote(keep)} EXIT\n{prologue}{script}\n"
        )
        started, cpu = time.monotonic(), _children_cpu()
        # A session of its own, so that a block that hangs is ended with everything it
        # started: a server left behind would answer the next page's commands.
        process = subprocess.Popen(
            ["bash", "-c", wrapped],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            output, _ = process.communicate(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            raise BlockFailed(
                f"`{script.strip()}` ran longer than {COMMAND_TIMEOUT} s:\n{output[-4000:]}"
            ) from None
        result = subprocess.CompletedProcess(process.args, process.returncode, output, None)
        self.ran.append((script.strip(), time.monotonic() - started, _children_cpu() - cpu))
        if state.exists():
            self.cwd = Path(state.read_text(encoding="utf-8").strip())
            state.unlink()
        if exported.exists():
            pairs = exported.read_bytes().decode("utf-8", errors="replace").split("\0")
            self.env = dict(
                pair.split("=", 1)
                for pair in pairs
                if "=" in pair and pair.split("=", 1)[0] not in _SHELL_OWN
            )
            exported.unlink()
        return result

    # -- restack dev in the background

    def start_dev(self, command: str, block: Block) -> None:
        self.stop_dev()
        words = shlex.split(command, comments=True)
        assigned: dict[str, str] = {}
        while words and _ASSIGNMENT.match(words[0]):
            name, _, value = words.pop(0).partition("=")
            assigned[name] = value
        words = words[2:]  # after `restack dev`
        kept: list[str] = []
        skip = False
        for word in words:  # the docs' ports are the reader's; the test picks free ones
            if skip:
                skip = False
            elif word in {"--port", "--ui-port"}:
                skip = True
            elif word.startswith(("--port=", "--ui-port=")) or word in {"--ui", "--memory"}:
                continue
            else:
                kept.append(word)
        port = free_port()
        env = {k: v for k, v in self.env.items() if k != "RESTACK_ENGINE_ADDRESS"} | assigned
        log = self.logs / f"dev-{port}.log"
        with log.open("wb") as output:
            self._dev = subprocess.Popen(
                [str(self.sandbox.bin / "restack"), "dev", *kept, "--memory", "--port", str(port)],
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.env["RESTACK_ENGINE_ADDRESS"] = f"127.0.0.1:{port}"
        dev = self._dev

        def serving() -> bool:
            # A doctor is a process of its own: asked only once the log says the
            # service has started its worker.
            return dev.poll() is not None or (
                logged(log, "service_ready") and self._service_polls()
            )

        started, cpu = time.monotonic(), _children_cpu()
        wait_until(serving, timeout=180, what=f"`{command}` ({block.where}) to serve")
        waited = (time.monotonic() - started, _children_cpu() - cpu)
        self.ran.append((f"{command} (until the service polls)", *waited))
        if dev.poll() is not None:
            raise BlockFailed(
                f"{block.where}: `{command}` stopped (exit {dev.returncode}):\n"
                + log.read_text(encoding="utf-8", errors="replace")[-4000:]
            )

    def _service_polls(self) -> bool:
        result = subprocess.run(
            [str(self.sandbox.bin / "restack"), "doctor", "--json"],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        try:
            checks = json.loads(result.stdout)
        except json.JSONDecodeError:
            return False
        return any(c.get("name") == "service" and c.get("status") == "ok" for c in checks)

    def stop_dev(self) -> None:
        if self._dev is None:
            return
        children = {pid: command_line(pid) for pid in descendants(self._dev.pid)}
        stop(self._dev, signal.SIGINT, timeout=30)
        leftovers = reap(children)
        self._dev = None
        self.env.pop("RESTACK_ENGINE_ADDRESS", None)
        if leftovers:
            raise BlockFailed(f"`restack dev` left processes running: {leftovers}")

    # -- blocks

    def run(self, block: Block) -> None:
        if block.setup:
            result = self._bash(block.setup, strict=True)
            if result.returncode != 0:
                raise BlockFailed(
                    f"{block.where}: the hidden setup failed (exit {result.returncode}):\n"
                    f"{block.setup}\n{result.stdout[-4000:]}"
                )
        if block.language == "console":
            self._run_console(block)
        else:
            self._run_script(block)

    def _run_script(self, block: Block) -> None:
        segment: list[str] = []
        for line in [*block.text.splitlines(), None]:
            if line is None or _DEV.match(line.strip()):
                script = "\n".join(segment)
                if script.strip():
                    result = self._bash(script, strict=True)
                    if result.returncode != 0:
                        raise BlockFailed(
                            f"{block.where}: the block failed (exit {result.returncode}):\n"
                            f"{script}\n--- output ---\n{result.stdout[-6000:]}"
                        )
                segment = []
                if line is not None:
                    self.start_dev(line.strip(), block)
            else:
                segment.append(line)

    def _run_console(self, block: Block) -> None:
        for step in console_steps(block.text):
            if _DEV.match(step.command.strip()):
                self.start_dev(step.command.strip(), block)
                continue
            result = self._bash(step.command, strict=False)
            actual = _ANSI.sub("", result.stdout).splitlines()
            if result.returncode != 0 and not _trimmed(step.expected):
                raise BlockFailed(
                    f"{block.where}: `$ {step.command}` failed (exit {result.returncode}) "
                    f"and the docs show no output for it:\n{result.stdout[-6000:]}"
                )
            if not output_matches(step.expected, actual):
                raise BlockFailed(
                    f"{block.where}: the output of `$ {step.command}` differs from the docs.\n"
                    "--- the docs show ---\n"
                    + "\n".join(_trimmed(step.expected))
                    + "\n--- the command printed ---\n"
                    + "\n".join(_trimmed(actual))
                )


@contextlib.contextmanager
def page_run(sandbox: Sandbox, start: Path, logs: Path) -> Iterator[PageRun]:
    logs.mkdir(parents=True, exist_ok=True)
    run = PageRun(sandbox, start, logs)
    try:
        yield run
    finally:
        run.stop_dev()
