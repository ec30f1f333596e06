# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Start agents and workflows on the engine and wait for their results.

Used by `restack run:agent` / `restack run:workflow` and by the tests. Errors say what
is wrong and how to fix it: engine down, no service polling, unknown name, bad input.
"""

from __future__ import annotations

# Before anything imports restack_ai: the process runtime must be the first one made.
from .common.runtime import process_runtime  # isort: split

import asyncio
import dataclasses
import re
import time
import typing
import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from restack_ai.payload_codec import LargePayloadCodec
from restack_ai.restack import CloudConnectionOptions, Restack
from restack_ai.sensitive_codec import _PayloadCodecChain
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import PayloadCodec

from .common.discovery import Components, definition_name, discover
from .common.errors import RestackAppError
from .common.settings import TASK_QUEUE, EngineSettings, load_engine_settings


class ClientError(RestackAppError, RuntimeError):
    """Starting an agent or workflow, or waiting for it, failed."""

    fix = "Check the engine and the service with `restack doctor`."


class EngineUnavailableError(ClientError):
    pass


class ServiceNotRunningError(ClientError):
    pass


class UnknownComponentError(ClientError):
    pass


class InvalidInputError(ClientError):
    pass


class RunFailedError(ClientError):
    """The agent or workflow ran and failed; the message gives the root cause in one line."""


def root_cause(error: BaseException) -> str:
    """The innermost cause of a failed run (an activity's exception, usually), one line."""
    while error.__cause__ is not None or getattr(error, "cause", None) is not None:
        error = getattr(error, "cause", None) or error.__cause__  # type: ignore[assignment]
    kind = getattr(error, "type", None) or ""
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    text = " ".join(f"{kind}: {message}".split() if kind else str(message).split())
    return text if len(text) <= 400 else text[:399] + "…"


def _connect_reason(error: BaseException) -> str:
    """What the gRPC connect error comes down to ("Connection refused"), not its Rust dump."""
    if isinstance(error, TimeoutError):
        return "no answer"
    found = re.search(r'message: "([^"]+)"', str(error))
    text = found.group(1) if found else " ".join(str(error).split())
    return text if len(text) <= 200 else text[:199] + "…"


class _PlainPayloads(PayloadCodec):
    """Leaves payloads as they are.

    With no codec configured the SDK asks the Restack engine API (port 6233) for an
    encryption key on every connection; a plain Temporal engine has no such API, so
    this codec is passed instead when no API address is set.
    """

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return list(payloads)


class _LargePayloads(LargePayloadCodec):
    """restack_ai's codec for payloads over 128 KB, without an HTTP session per call.

    restack_ai's opens an aiohttp session on every encode and decode, several times per
    step, even when there is nothing to offload or fetch; this one only when there is.
    """

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if all(len(payload.data) < _OFFLOAD_BYTES for payload in payloads):
            return list(payloads)
        return await super().encode(payloads)

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        if not any(payload.metadata.get(_OFFLOADED) == b"v2" for payload in payloads):
            return list(payloads)
        return await super().decode(payloads)


_OFFLOAD_BYTES = 128 * 1024  # restack_ai offloads payloads from this size up
_OFFLOADED = "temporal.io/remote-codec"  # the metadata restack_ai marks them with


CONNECT_TIMEOUT_SECONDS = 10.0
"""How long a connection to the engine may take before it is reported as unreachable."""


class EngineClient(Restack):
    """restack_ai's client, connected on the process runtime within a bounded time.

    `create_client` is restack_ai 0.0.121's, except that it does not build a Temporal
    runtime of its own for every connection (see `common/runtime.py` for the hang that
    causes) and gives up after `connect_timeout` seconds. Keep it in step with
    `Restack.create_client` when upgrading restack-ai.
    """

    def __init__(
        self, settings: EngineSettings, connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    ) -> None:
        super().__init__(connection_options(settings))
        self.settings = settings
        self.connect_timeout = connect_timeout

    async def create_client(self, connection_options: Any = None) -> Client:
        options = connection_options or self.get_connection_options()
        metadata = options["metadata"]
        cloud = self.options
        assert cloud is not None  # always given by __init__
        namespace = cloud.temporal_namespace or "default"
        codecs: list[PayloadCodec] = list(cloud.payload_codecs or [])
        try:
            async with asyncio.timeout(self.connect_timeout):
                if not codecs:
                    engine_codec = await self._fetch_engine_codec(
                        metadata["restack-apiAddress"], cloud.api_key
                    )
                    if engine_codec is not None:
                        codecs.append(engine_codec)
                large_payloads = _LargePayloads(metadata["restack-codecAddress"], namespace)
                return await Client.connect(
                    options["target_host"],
                    namespace=namespace,
                    api_key=cloud.api_key,
                    tls=bool(cloud.api_key),
                    rpc_metadata=metadata,
                    data_converter=dataclasses.replace(
                        pydantic_data_converter,
                        payload_codec=_PayloadCodecChain([*codecs, large_payloads])
                        if codecs
                        else large_payloads,
                    ),
                    runtime=process_runtime(),
                )
        except Exception as error:
            raise _unreachable(self.settings, error, self.connect_timeout) from error

    async def connect(self, connection_options: Any = None) -> None:
        # restack_ai's version also logs every connection and every failure to stderr;
        # callers report failures themselves, in one line.
        if self.client is None:
            self.client = await self.create_client(connection_options)

    async def connected(self) -> Client:
        """The Temporal client of this connection, connecting on first use."""
        await self.connect()
        assert self.client is not None  # set by connect() or it raised
        return self.client


def _unreachable(settings: EngineSettings, error: Exception, timeout: float) -> ClientError:
    if isinstance(error, TimeoutError):
        reason = f"no answer within {timeout:g}s"
    else:  # the transport's own words, not its Rust dump
        reason = _connect_reason(error)
    hint = (
        "Check RESTACK_ENGINE_ADDRESS and RESTACK_ENGINE_API_KEY."
        if settings.is_remote
        else "Start the embedded engine with `restack dev`, or set RESTACK_ENGINE_ADDRESS."
    )
    return EngineUnavailableError(
        f"Cannot reach the Restack engine at {settings.address} ({reason}).", fix=hint
    )


def connection_options(settings: EngineSettings) -> CloudConnectionOptions:
    return CloudConnectionOptions(
        engine_id=settings.engine_id,
        # None (not "") keeps TLS off for a local engine; the SDK annotates it as str.
        api_key=settings.api_key,  # type: ignore[arg-type]
        address=settings.address,
        api_address=settings.api_address,
        payload_codecs=None if settings.api_address else [_PlainPayloads()],
    )


def make_client(settings: EngineSettings | None = None) -> EngineClient:
    return EngineClient(settings or load_engine_settings())


async def connect(settings: EngineSettings) -> Client:
    """A connected Temporal client, or a readable error when the engine is not reachable."""
    return await make_client(settings).connected()


async def service_pollers(client: Client, settings: EngineSettings) -> int:
    """How many workers poll this project's task queue for agent and workflow tasks."""
    response = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace=client.namespace,
            task_queue=TaskQueue(name=settings.task_queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        ),
        timeout=timedelta(seconds=CONNECT_TIMEOUT_SECONDS),
    )
    return len(response.pollers)


async def wait_for_service(
    settings: EngineSettings, timeout_seconds: float = 30.0, client: Client | None = None
) -> None:
    client = client or await connect(settings)
    deadline = time.monotonic() + timeout_seconds
    while await service_pollers(client, settings) == 0:
        if time.monotonic() >= deadline:
            raise ServiceNotRunningError(
                f"No service is polling task queue '{settings.task_queue}' on {settings.address}.",
                fix="Start one with `restack run:server` (or `restack dev`).",
            )
        await asyncio.sleep(0.2)


def input_model(cls: type) -> type[BaseModel] | None:
    """The pydantic model the agent's or workflow's `run` method takes, if any."""
    definition = getattr(cls, "__temporal_workflow_definition", None)
    run_fn = getattr(definition, "run_fn", None)
    if run_fn is None:
        return None
    hints = typing.get_type_hints(run_fn)
    hints.pop("return", None)
    for hint in hints.values():
        if isinstance(hint, type) and issubclass(hint, BaseModel):
            return hint
    return None


def validate_input(cls: type, payload: dict[str, Any]) -> dict[str, Any]:
    model = input_model(cls)
    if model is None:
        return payload
    try:
        return model.model_validate(payload).model_dump(mode="json")
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc']) or 'input'}: {item['msg']}"
            for item in error.errors()
        )
        raise InvalidInputError(
            f"Invalid input for {definition_name(cls)} ({model.__name__}): {problems}",
            fix=f"Pass a JSON object that {model.__name__} accepts.",
        ) from error


def _lookup(components: Components, kind: str, name: str) -> type:
    found = components.find_agent(name) if kind == "agent" else components.find_workflow(name)
    if found is None:
        known = components.agent_names() if kind == "agent" else components.workflow_names()
        raise UnknownComponentError(
            f"No {kind} named '{name}'. Known {kind}s: {', '.join(known) or 'none'}.",
            fix=f"Create one with `restack g {kind} {name}`, or use a known name.",
        )
    return found


async def run(
    kind: str,
    name: str,
    payload: dict[str, Any],
    *,
    timeout_seconds: float = 300.0,
    settings: EngineSettings | None = None,
) -> Any:
    """Schedule an agent or workflow, wait for it, and return its JSON-able result."""
    settings = settings or load_engine_settings()
    cls = _lookup(discover(functions=False), kind, name)
    validated = validate_input(cls, payload)
    restack = make_client(settings)
    await wait_for_service(
        settings, timeout_seconds=min(timeout_seconds, 15.0), client=await restack.connected()
    )
    run_id = f"{name}-{uuid.uuid4().hex[:12]}"
    if kind == "agent":
        await restack.schedule_agent(agent_name=name, agent_id=run_id, agent_input=validated)
        coroutine = restack.get_agent_result(agent_id=run_id)
    else:
        await restack.schedule_workflow(
            workflow_name=name, workflow_id=run_id, workflow_input=validated, task_queue=TASK_QUEUE
        )
        coroutine = restack.get_workflow_result(workflow_id=run_id)
    try:
        return await asyncio.wait_for(coroutine, timeout=timeout_seconds)
    except WorkflowFailureError as error:
        raise RunFailedError(
            f"{name} ({run_id}) failed: {root_cause(error)}.",
            fix="The service's output shows the failing step; `temporal workflow show "
            f"--workflow-id {run_id} --address {settings.address}` shows its history.",
        ) from error
    except TimeoutError as error:
        raise ClientError(
            f"{name} ({run_id}) did not finish within {timeout_seconds:.0f}s; it keeps running "
            "on the engine.",
            fix=f"Raise --timeout, or follow it with `temporal workflow show -w {run_id}`.",
        ) from error
