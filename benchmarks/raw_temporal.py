"""A bare temporalio worker: the baseline the generated project is measured against.

One workflow with one activity that POSTs a chat request to an LLM server, on the same
engine as the generated service, set up as well as plain temporalio allows: the default
workflow sandbox (this module imports only the standard library and temporalio, so a new
workflow instance is cheap), eager activity execution (the default), one shared httpx
connection pool. Used by `agent_step.py` and `startup.py`, which start it with
`command(address, task_queue)`: imported under its own name, so that the sandbox can
import it again for each workflow run.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    import httpx

_http: dict[str, httpx.AsyncClient] = {}


@activity.defn
async def raw_chat(base_url: str, prompt: str) -> dict[str, Any]:
    if "client" not in _http:
        _http["client"] = httpx.AsyncClient(headers={"authorization": "Bearer sk-bench"})
    response = await _http["client"].post(
        f"{base_url}/chat/completions",
        json={"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return {"content": body["choices"][0]["message"]["content"], "provider": "openai"}


@workflow.defn
class RawChatWorkflow:
    @workflow.run
    async def run(self, base_url: str, prompt: str) -> dict[str, Any]:
        result: dict[str, Any] = await workflow.execute_activity(
            raw_chat, args=[base_url, prompt], start_to_close_timeout=timedelta(seconds=30)
        )
        return result


async def serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    worker = Worker(
        client, task_queue=task_queue, workflows=[RawChatWorkflow], activities=[raw_chat]
    )
    print("raw worker polling", flush=True)
    await worker.run()


def command(address: str, task_queue: str) -> list[str]:
    """The command line of a worker process (PYTHONPATH must hold this directory)."""
    code = "import asyncio, sys, raw_temporal; asyncio.run(raw_temporal.serve(*sys.argv[1:]))"
    return [sys.executable, "-c", code, address, task_queue]
