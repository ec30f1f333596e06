# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The worker that runs this project's agents, workflows and functions.

It is built here instead of by restack_ai's `Restack.create_service`, which does not let
a project choose the settings below (the restack-template repository's
docs/architecture.md, "Performance", has the measurements behind each one).

- The workflow sandbox passes through `SANDBOX_PASSTHROUGH`. Temporal runs each new
  workflow in a fresh sandbox that imports every module the workflow file needs again,
  except those passed through. Without these, every agent or workflow run re-imported
  restack_ai with aiohttp, yarl, msgspec and friends, several hundred modules of
  beartype (whose import hook a dependency of fastmcp installs process-wide), and
  annotated_types, which pydantic imports lazily while building a model with
  `Field(min_length=...)`: most of the cost of a one-step workflow. These libraries hold
  no state of a run. The project's own packages are NOT passed through, so the sandbox
  still fails the workflow task of user code that reads the clock or a file
  (`tests/e2e/test_sandbox.py`).
- No activity rate limit. restack_ai turns `ServiceOptions.rate_limit` into
  `max_task_queue_activities_per_second`, and any such limit switches off eager
  activity execution: each step then waits for the engine to dispatch it to a poller
  instead of starting in the worker that scheduled it.
- Endpoint registration (the Restack engine's HTTP API for agents and workflows) is done
  as `create_service` does it, only when an API address is configured: a plain Temporal
  engine, such as the embedded one, has no such API.
"""

from __future__ import annotations

# Before anything imports restack_ai: the process runtime must be the first one made.
from .runtime import process_runtime  # isort: split

import os
from collections.abc import Sequence
from typing import Any

import structlog
from restack_ai.restack import ServiceOptions
from temporalio.client import Client
from temporalio.worker import Interceptor, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from .discovery import Components
from .settings import TASK_QUEUE, EngineSettings

log = structlog.get_logger(__name__)

SANDBOX_PASSTHROUGH: tuple[str, ...] = (
    "restack_ai",
    "beartype",
    "annotated_types",
    "pydantic_core",
)
"""Third-party modules workflows share with the worker instead of re-importing per run."""

SANDBOX_RESTRICTIONS = SandboxRestrictions.default.with_passthrough_modules(*SANDBOX_PASSTHROUGH)


def passes_through(module: str) -> bool:
    """Whether workflow code in `module` runs outside the sandbox's checks."""
    parts = module.split(".")
    return any(
        ".".join(parts[:i]) in SANDBOX_RESTRICTIONS.passthrough_modules
        for i in range(1, len(parts) + 1)
    )


def create_worker(
    client: Client,
    components: Components,
    settings: EngineSettings,
    *,
    interceptors: Sequence[Interceptor] = (),
) -> Worker:
    if client.service_client.config.runtime is not process_runtime():
        # Its pollers would die on start (see common/runtime.py): say so instead.
        raise RuntimeError("The worker's client must be connected on process_runtime().")
    # restack_ai's concurrency defaults, without its activity rate limit.
    defaults = ServiceOptions()
    return Worker(
        client,
        task_queue=settings.task_queue,
        identity=f"{settings.engine_id}-{os.getpid()}",
        workflows=[*components.workflows, *components.agents],
        activities=list(components.functions),
        workflow_runner=SandboxedWorkflowRunner(restrictions=SANDBOX_RESTRICTIONS),
        max_concurrent_activities=defaults.max_concurrent_function_runs,
        max_concurrent_workflow_tasks=defaults.max_concurrent_workflow_runs,
        interceptors=list(interceptors),
    )


async def register_endpoints(components: Components, settings: EngineSettings) -> None:
    """Tell a Restack engine's API which agents and workflows this service runs.

    The request `Restack.create_service` makes (restack-ai 0.0.121), with the same
    outcome: a connection failure stops the service, an answer is logged. Only called
    when `RESTACK_ENGINE_API_ADDRESS` is set.
    """
    import aiohttp
    from restack_ai.endpoints import explore_class_details
    from restack_ai.utils import should_use_https

    address = settings.api_address or ""
    scheme = "https" if should_use_https(address) else "http"

    def details(classes: Sequence[type]) -> list[dict[str, Any]]:
        return [{**explore_class_details(cls), "task_queue": TASK_QUEUE} for cls in classes]

    engine_id = settings.engine_id
    payload = {
        "identity": f"{engine_id}-{os.getpid()}" if engine_id == "local" else engine_id,
        "workflows": details(components.workflows),
        "agents": details(components.agents),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{scheme}://{address}/api/engine/endpoints", json=payload) as response,
    ):
        log.info("endpoints_registered", status=response.status, answer=await response.text())
