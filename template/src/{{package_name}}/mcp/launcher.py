# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Start a tool server so that it cannot outlive the service, and record how it ended.

    python -I -S launcher.py PARENT_PID STATUS_FILE -- COMMAND [ARGS...]

A SIGKILLed service runs no cleanup, so its tool servers must notice by themselves. On
Linux the launcher asks the kernel for a signal when the service dies (PR_SET_PDEATHSIG),
then starts the server as its own child with a request for SIGTERM, so the whole chain
ends with the service. stdio servers are started through it because the MCP client library
spawns them and never reports how they ended: the launcher waits for the server and
writes its exit code (negative: killed by that signal) to STATUS_FILE, where the pool
reads it before starting a new one; when the service is gone by then, it removes the file
instead. With `-` as STATUS_FILE it replaces itself with the server instead of waiting
(http servers, whose exit code the supervisor sees itself).

Run by path with `-I -S`: it imports nothing from this package or site-packages, and no
more of the standard library than it must, so it starts in milliseconds and works
wherever the service's interpreter runs.
"""

from __future__ import annotations

import os
import signal
import sys

TYPE_CHECKING = False  # typing itself is not imported: it would slow every server start
if TYPE_CHECKING:
    from pathlib import Path
    from typing import NoReturn

_PR_SET_PDEATHSIG = 1
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
# What a waiting launcher asks the kernel for when its service dies: a signal of its own,
# so that it knows nobody will read the status. The kernel sends it when the *thread*
# that started the launcher ends, and a killed service's threads end one at a time, so
# for a moment afterwards the service still looks alive (os.getppid() is unchanged).
_SERVICE_DIED = signal.SIGUSR1
_GRACE_SECONDS = 5
NO_STATUS = "-"


def guarded_command(command: list[str], status_file: Path | None = None) -> list[str]:
    """`command` wrapped in this launcher (unchanged where fork/exec do not exist)."""
    if os.name != "posix":
        return command
    status = str(status_file) if status_file is not None else NO_STATUS
    launcher = [sys.executable, "-I", "-S", os.path.realpath(__file__)]
    return [*launcher, str(os.getpid()), status, "--", *command]


def _die_with_parent(parent: int, signum: int = signal.SIGTERM) -> bool:
    """Ask for `signum` when `parent` dies; False when it is already gone (it died before
    the request took effect, and the kernel will send nothing)."""
    if sys.platform.startswith("linux"):
        _request_parent_death_signal(signum)
    return os.getppid() == parent


def _request_parent_death_signal(signum: int) -> None:
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signum)
    except (OSError, AttributeError):
        return  # a C library without prctl: there is nothing to ask


def _exec(command: list[str]) -> NoReturn:
    try:
        os.execvp(command[0], command)
    except OSError as error:
        print(f"cannot run {command[0]}: {error.strerror}", file=sys.stderr, flush=True)
        os._exit(127)


def _write_status(path: str, code: int) -> None:
    # Only into the file the pool created: once it has removed it, nobody is asking.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_TRUNC)
    except OSError:
        return
    os.write(descriptor, f"{code}\n".encode())
    os.close(descriptor)


def _discard_status(path: str) -> None:
    # The service that created the file is gone (killed, so it cleaned nothing up) and
    # no one will read it: without this, every killed service left one file per stdio
    # server in the temporary directory.
    try:
        os.unlink(path)
    except OSError:
        return


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return  # it has just ended


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    parent, status_file, command = int(argv[0]), argv[1], argv[3:]
    if status_file == NO_STATUS:
        if _die_with_parent(parent):  # the request outlives the exec: the server gets it
            _exec(command)
        return 0

    server = 0
    orphaned = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal orphaned
        if signum == _SERVICE_DIED:
            orphaned, signum = True, signal.SIGTERM
        if not server:  # the server is not started yet: there is nothing to wait for
            if orphaned:
                _discard_status(status_file)
            os._exit(0)
        _signal(server, signum)
        signal.alarm(_GRACE_SECONDS)

    def kill(_signum: int, _frame: object) -> None:
        _signal(server, signal.SIGKILL)

    for signum in (*_STOP_SIGNALS, _SERVICE_DIED):
        signal.signal(signum, stop)
    signal.signal(signal.SIGALRM, kill)
    if not _die_with_parent(parent, _SERVICE_DIED):
        _discard_status(status_file)
        return 0
    launcher = os.getpid()
    server = os.fork()
    if server == 0:
        if not _die_with_parent(launcher):
            os._exit(0)
        _exec(command)
    # The launcher keeps its copy of the server's stdout open until the exit code is
    # written, so a client that sees the pipe close can already read how it ended.
    _, status = os.waitpid(server, 0)
    code = os.waitstatus_to_exitcode(status)
    if orphaned or os.getppid() != parent:
        _discard_status(status_file)
    else:
        _write_status(status_file, code)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
