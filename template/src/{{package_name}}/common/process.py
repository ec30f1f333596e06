# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Process lifetime: how commands end, and children that cannot outlive them.

- `exit_now`: the Temporal client's native threads can call into Python while the
  interpreter is finalizing, which aborts the process ("PyGILState_Release ... must be
  current") and turns a clean shutdown into exit code -6. Once our own work is done and
  the output is flushed, nothing else needs to run, so leave without finalizing.
- `end_on_signals`: SIGINT, SIGTERM and SIGHUP end a command by raising `SignalExit` in the
  main thread, so `finally` blocks stop its children (the default action of SIGTERM and
  SIGHUP kills the process on the spot and leaves them running). The signal is also
  remembered: an exception raised in the middle of a third-party import can be caught
  and dropped there, so `raise_if_signalled` checks again where a command would go on
  to start something (the engine, the service).
- `parent_death_signal`: SIGKILL cannot be caught, so a long-running child (the embedded
  engine) also asks the kernel to send it SIGTERM when its parent dies (Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_received: list[int] = []
"""Ending signals caught by `end_on_signals`'s handler, oldest first."""


class SignalExit(SystemExit):
    """The command was asked to stop by a signal; exits with the shell's code, 128 + signal."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def exit_now(code: int | str | None) -> None:
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream
            stream.flush()
    os._exit(code or 0)


def _raise_signal_exit(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)
    raise SignalExit(signum)


def received_signal() -> int | None:
    """The first ending signal caught by `end_on_signals`'s handler, if any."""
    return _received[0] if _received else None


def raise_if_signalled() -> None:
    """End the command now if an ending signal came, even one whose `SignalExit` was lost.

    Third-party code that catches every exception (some imports do, to try a fallback)
    swallows the one raised for a signal that lands inside it; without this check the
    command would go on to start an engine and a service nobody asked for any more.
    """
    signum = received_signal()
    if signum is not None:
        raise SignalExit(signum)


def stop_on_signals(stop: asyncio.Event) -> None:
    """In the running event loop, SIGINT, SIGTERM and SIGHUP set `stop` (a closed terminal
    sends SIGHUP: it must stop as cleanly as Ctrl-C). So does an ending signal that came
    before, whose `SignalExit` was lost on the way (see `raise_if_signalled`)."""
    loop = asyncio.get_running_loop()
    for signum in ENDING_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    if received_signal() is not None:
        stop.set()


def end_on_signals() -> None:
    """From now on SIGINT, SIGTERM and SIGHUP raise `SignalExit` (main thread only).

    An asyncio loop's own handlers take precedence while it runs; asyncio resets the
    signals to their defaults when the loop closes, so call this again after `asyncio.run`.
    """
    for signum in ENDING_SIGNALS:
        signal.signal(signum, _raise_signal_exit)


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Cleanup that must not be cut short: a signal arriving meanwhile ends the command
    (with `SignalExit`) right after it."""
    received: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {signum: signal.signal(signum, remember) for signum in ENDING_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if received:
        raise SignalExit(received[0])


def parent_death_signal(signum: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A `preexec_fn` after which the child gets `signum` when this process dies, even by
    SIGKILL. None where that is not available (not Linux) or not sound: the kernel ties
    the signal to the thread that starts the child, so only the main thread arms it."""
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    parent = os.getpid()

    def arm() -> None:  # runs in the child between fork and exec: no imports, no locks
        prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), signum)

    return arm
