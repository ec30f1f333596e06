"""Where the test suite's CPU goes, by kind of process (a tool for working on the suite).

tests/cpu_report.py ranks tests by the CPU they and their children spent; this script
splits the same CPU by what ran: the projects' own suites, tool servers, services,
engines, generators, Copier, mypy, git. It installs a hook into .venv that logs, for
every child a Python process of .venv waits for, its command line and the CPU it used
(its own and that of the children it waited for), then reports each kind's own share.

    .venv/bin/python scripts/process_cpu.py install
    RESTACK_PROCESS_LOG=/tmp/processes.jsonl bash scripts/test.sh
    .venv/bin/python scripts/process_cpu.py report /tmp/processes.jsonl
    .venv/bin/python scripts/process_cpu.py uninstall

Processes that Python in .venv did not start and wait for (bash's children, processes of
another virtualenv) count towards the process that waited for them.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import sysconfig
from pathlib import Path
from typing import Any

HOOK_MODULE = "_restack_process_cpu"
HOOK = '''"""Logs each reaped child's command and CPU to $RESTACK_PROCESS_LOG (process_cpu.py)."""
import json, os, subprocess, time

_log = os.environ.get("RESTACK_PROCESS_LOG")
if _log:
    _commands = {}
    _execute_child = subprocess.Popen._execute_child

    def _remember(self, args, *rest, **options):
        _execute_child(self, args, *rest, **options)
        _commands[self.pid] = args if isinstance(args, str) else " ".join(map(str, args))

    def _waitpid(pid, options):
        # wait4 is waitpid that also returns the child's rusage.
        reaped, status, usage = os.wait4(pid, options)
        if reaped:
            line = {
                "pid": reaped,
                "parent": os.getpid(),
                "command": _commands.pop(reaped, "?")[:400],
                "cpu": round(usage.ru_utime + usage.ru_stime, 3),
                "at": round(time.time(), 2),
            }
            try:  # a log it cannot write must not break the program it watches
                with open(_log, "a", encoding="utf-8") as out:
                    out.write(json.dumps(line) + "\\n")
            except OSError:
                pass
        return reaped, status

    subprocess.Popen._execute_child = _remember
    os.waitpid = _waitpid
'''


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def install() -> None:
    if sys.prefix == sys.base_prefix:
        sys.exit("error: run this with the virtualenv's Python (.venv/bin/python).")
    (site_packages() / f"{HOOK_MODULE}.py").write_text(HOOK, encoding="utf-8")
    (site_packages() / f"{HOOK_MODULE}.pth").write_text(f"import {HOOK_MODULE}\n", "utf-8")
    print(f"installed into {site_packages()}; it logs only while RESTACK_PROCESS_LOG is set")


def uninstall() -> None:
    for suffix in (".py", ".pth"):
        (site_packages() / f"{HOOK_MODULE}{suffix}").unlink(missing_ok=True)
    print("uninstalled")


def kind(command: str) -> str:
    """A short name for what a command line ran: `pytest`, `mypy`, `restack g`, ..."""
    words = re.sub(r"\S*/", "", command).split()
    if not words:
        return "?"
    if words[0] == "git":
        named = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
        return f"git {named[0]}" if named else "git"
    if "-m" in words:
        module = words[words.index("-m") + 1] if words[-1] != "-m" else ""
        rest = words[words.index("-m") + 2 :]
        if module.endswith("_mcp") or module.endswith(".testing"):
            return f"tool server {module.rsplit('.', 1)[-1]}"
        if module.endswith(".service"):
            return "service"
        if module in {"pytest", "mypy", "copier", "pip", "venv", "ruff"}:
            return module
        return f"restack {rest[0] if rest else ''}".strip()
    if words[0] == "temporal":
        return "engine (temporal)"
    if words[0] == "restack":
        return f"restack {words[1] if len(words) > 1 else ''}".strip()
    if words[0].startswith("python") and "-c" in words:
        return "python -c"
    return words[0]


def own_cpu(lines: list[dict[str, Any]]) -> list[tuple[dict[str, Any], float]]:
    """Each logged process with the CPU it spent itself.

    Its rusage also holds the children it waited for, which have lines of their own:
    written by it, so before its own line (its parent writes that once it has exited).
    Read in order, a process's children are the lines naming it as parent since the last
    process with its pid, which keeps pids that a long run reuses apart.
    """
    waited_for: dict[int, float] = {}
    counted = []
    for line in lines:
        children = waited_for.pop(line["pid"], 0.0)
        counted.append((line, line["cpu"] - children))
        waited_for[line["parent"]] = waited_for.get(line["parent"], 0.0) + line["cpu"]
    return counted


def report(log: Path, shown: int) -> None:
    lines = [json.loads(text) for text in log.read_text(encoding="utf-8").splitlines() if text]
    count = collections.Counter[str]()
    own: dict[str, float] = collections.defaultdict(float)
    for line, seconds in own_cpu(lines):
        name = kind(line["command"])
        count[name] += 1
        own[name] += seconds
    total = sum(own.values())
    print(f"{len(lines)} processes, {total:.0f} CPU seconds of their own")
    print(f"{'count':>6} {'CPU s':>8} {'each':>6}  kind")
    for name, seconds in sorted(own.items(), key=lambda item: -item[1])[:shown]:
        print(f"{count[name]:6d} {seconds:8.1f} {seconds / count[name]:6.2f}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("install", help="log reaped children while RESTACK_PROCESS_LOG is set")
    commands.add_parser("uninstall", help="remove the hook from the virtualenv")
    shown = commands.add_parser("report", help="CPU by kind of process, from a log")
    shown.add_argument("log", type=Path)
    shown.add_argument("--top", type=int, default=30, help="kinds to list (default 30)")
    arguments = parser.parse_args()
    if arguments.command == "install":
        install()
    elif arguments.command == "uninstall":
        uninstall()
    else:
        report(arguments.log, arguments.top)


if __name__ == "__main__":
    main()
