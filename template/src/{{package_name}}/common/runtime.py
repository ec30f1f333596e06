# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""One Temporal runtime per process, never freed: every client and worker runs on it.

A temporalio `Runtime` is a Tokio thread pool with its own log and trace subscriber.
restack_ai makes a new one for every connection (`Restack.create_client`), and
`restack_ai.observability` makes one on import and installs it as the process default.
Both hurt:

- A client's Runtime is freed by Python's cyclic garbage collector, at whatever
  allocation happens to trigger a collection (inside `Client.connect`, say). Freeing it
  joins its threads while holding the GIL; when one of them is at that moment waiting
  for the GIL, to hand a finished or cancelled call back to asyncio, the process hangs
  for good: no timeout, signal handler or watchdog thread can run again. (Stack dump of
  such a hang: the collector in `BlockingPool::drop` under the bridge client's
  `tp_dealloc`, a Tokio worker in `PyGILState_Ensure`.)
- The first Runtime created on a thread owns that thread's trace subscriber for good. A
  worker built on that thread on any other Runtime opens spans in one subscriber and
  closes them in another, and its pollers die on start: `tried to drop a ref to Id(N),
  but no such span exists!`.

So the process uses the first Runtime it ever made, and never makes or frees another:
import this module before anything imports restack_ai (`client.py` does it first thing)
and it creates that Runtime before restack_ai's, with the engine client's warnings
going to stderr and metrics exported as restack_ai does when
RESTACK_TELEMETRY_OTEL_ADDRESS is set. If restack_ai (or temporalio's default) came
first, that one is used instead.
"""

from __future__ import annotations

import os
import sys

import temporalio.runtime
from temporalio.runtime import OpenTelemetryConfig, Runtime, TelemetryConfig

_KEPT: list[Runtime] = []
"""[the process runtime, any other made before it was chosen]: never freed (see above)."""


def _choose() -> Runtime:
    if "restack_ai.observability" in sys.modules:
        return Runtime.default()  # restack_ai's, made when it was imported: the first
    # temporalio's default when something made it already (then it is the first), else ours.
    first = temporalio.runtime._default_runtime
    if first is None:
        otel_address = os.environ.get("RESTACK_TELEMETRY_OTEL_ADDRESS")
        first = Runtime(
            telemetry=TelemetryConfig(
                metrics=OpenTelemetryConfig(url=otel_address) if otel_address else None
            )
        )
    import restack_ai.observability  # noqa: F401  (makes its Runtime the default)

    _KEPT.append(Runtime.default())
    Runtime.set_default(first, error_if_already_set=False)
    return first


_KEPT.insert(0, _choose())


def process_runtime() -> Runtime:
    return _KEPT[0]
