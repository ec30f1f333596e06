# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The service: registers every agent, workflow and function and runs them until stopped.

`restack_ai`'s `start_service()` ignores SIGTERM and SIGINT, so the worker is built by
`common/worker.py` and stopped here: Ctrl-C or SIGTERM ends it within seconds.
Components that run beside the worker (the tool servers of config/tools.yaml) start
before it and stop after it, through their `lifespan` modules.
Run it with `restack run:server`, or run this module with `python -m`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import traceback

import structlog

from .client import make_client
from .common.discovery import Components, component_modules, definition_name, discover
from .common.observability import configure_logging
from .common.process import exit_now, stop_on_signals
from .common.settings import EngineSettings, load_engine_settings
from .common.telemetry import telemetry, worker_interceptors
from .common.worker import create_worker, register_endpoints

log = structlog.get_logger(__name__)


async def serve(settings: EngineSettings | None = None, stop: asyncio.Event | None = None) -> None:
    """Run the worker until `stop` is set or the process gets SIGINT, SIGTERM or SIGHUP."""
    settings = settings or load_engine_settings()
    stop = stop or asyncio.Event()
    stop_on_signals(stop)
    # Importing the project's agents, workflows and functions and starting its tool
    # servers (other processes) take seconds each, so they are done side by side.
    discovered = asyncio.ensure_future(asyncio.to_thread(discover))
    try:
        async with contextlib.AsyncExitStack() as lifespans:
            await lifespans.enter_async_context(telemetry())
            for module in component_modules("lifespan"):
                await lifespans.enter_async_context(module.lifespan())
            await _run_worker(settings, stop, await discovered)
    finally:
        discovered.cancel()  # when a lifespan failed first: nobody waits for it then


async def _run_worker(
    settings: EngineSettings, stop: asyncio.Event, components: Components
) -> None:
    # The worker is built by `common.worker` rather than restack_ai's `create_service`:
    # its sandbox and activity settings make a durable step several times cheaper.
    client = await make_client(settings).connected()
    interceptors = worker_interceptors(components.agent_names())
    worker = create_worker(client, components, settings, interceptors=interceptors)
    if settings.api_address:
        await register_endpoints(components, settings)
    # What is loaded by now (modules, definitions, the worker) lives as long as the
    # process; frozen, it is left out of the garbage collector's full passes, which
    # otherwise walk it all again and again while each workflow run allocates.
    gc.freeze()
    run_task = asyncio.create_task(worker.run())
    log.info(
        "service_ready",
        engine=settings.address,
        task_queue=settings.task_queue,
        agents=[definition_name(cls) for cls in components.agents],
        workflows=[definition_name(cls) for cls in components.workflows],
        functions=[fn.__name__ for fn in components.functions],
    )
    stop_task = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    if run_task in done:
        stop_task.cancel()
        run_task.result()  # the worker failed on its own: surface the error
        return
    log.info("service_stopping")
    await worker.shutdown()
    await run_task
    log.info("service_stopped")


def main() -> None:
    configure_logging()
    try:
        asyncio.run(serve())
    except BaseException:
        traceback.print_exc()
        exit_now(1)
    exit_now(0)


if __name__ == "__main__":
    main()
