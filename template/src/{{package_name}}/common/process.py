"""Process exit for commands that used the engine client.

The Temporal client's native threads can call into Python while the interpreter is
finalizing, which aborts the process ("PyGILState_Release ... must be current") and
turns a clean shutdown into exit code -6. Once our own work is done and the output is
flushed, nothing else needs to run, so leave without finalizing.
"""

from __future__ import annotations

import contextlib
import os
import sys


def exit_now(code: int | str | None) -> None:
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken stream
            stream.flush()
    os._exit(code or 0)
