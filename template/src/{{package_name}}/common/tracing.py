# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Traces: OpenTelemetry spans for agent runs, steps, LLM calls and tool calls.

Off unless an OTLP endpoint is configured with the standard variables:

    OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318   (or ..._TRACES_ENDPOINT)
    OTEL_SERVICE_NAME=my-agents                          (default: the package name)

Then the service exports over OTLP/HTTP: the engine's spans for each run
(`RunWorkflow:<Agent>`, `StartActivity:<function>`, `RunActivity:<function>`, from
temporalio's tracing interceptor) with the project's spans inside the steps (`chat
<model>` per LLM request, `execute_tool <tool>` per tool call), all with OpenTelemetry's
GenAI attributes (`gen_ai.operation.name`, `gen_ai.request.model`,
`gen_ai.usage.input_tokens`, ...). Log lines written inside a span carry its trace_id.
When tracing is off nothing is wrapped or intercepted, so it costs nothing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from temporalio import workflow
from temporalio.contrib.opentelemetry import (  # temporalio is pinned by restack-ai
    TracingInterceptor,
    TracingWorkflowInboundInterceptor,
    _CompletedWorkflowSpanParams,  # to make the run's span and keep its context
)
from temporalio.worker import (
    ExecuteWorkflowInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

_PACKAGE = __name__.split(".")[0]

# OpenTelemetry GenAI semantic conventions (attribute names and operation values).
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
GEN_AI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
ERROR_TYPE = "error.type"

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")

_provider: TracerProvider | None = None
_tracer: Tracer | None = None


def otlp_endpoint() -> str | None:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    return next((os.environ[v] for v in ENDPOINT_VARIABLES if os.environ.get(v)), None)


def configure_tracing(exporter: SpanExporter | None = None) -> bool:
    """Turn tracing on: export to `exporter`, else over OTLP when an endpoint is set.

    Returns whether tracing is on. Called by the service at startup; tests pass an
    in-memory exporter.
    """
    global _provider, _tracer
    if exporter is None:
        if otlp_endpoint() is None:
            return False
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor: Any = BatchSpanProcessor(OTLPSpanExporter())
    else:
        processor = SimpleSpanProcessor(exporter)
    service_name = os.environ.get("OTEL_SERVICE_NAME") or _PACKAGE
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(processor)
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        # Spans that user code or libraries start with trace.get_tracer() join ours.
        trace.set_tracer_provider(provider)
    _provider, _tracer = provider, provider.get_tracer(_PACKAGE)
    return True


def shutdown_tracing() -> None:
    """Flush and stop; spans still buffered are exported first."""
    global _provider, _tracer
    provider, _provider, _tracer = _provider, None, None
    if provider is not None:
        provider.shutdown()


def tracer() -> Tracer | None:
    """The project's tracer, or None when tracing is off."""
    return _tracer


@contextmanager
def span(
    name: str, attributes: dict[str, Any], kind: SpanKind = SpanKind.INTERNAL
) -> Iterator[Span | None]:
    """A span around the block when tracing is on (else None); exceptions mark it failed."""
    current = _tracer
    if current is None:
        yield None
        return
    with current.start_as_current_span(
        name, kind=kind, attributes=attributes, record_exception=False
    ) as opened:
        try:
            yield opened
        except BaseException as error:
            opened.set_attribute(ERROR_TYPE, error_type(error))
            opened.set_status(Status(StatusCode.ERROR, str(error)[:500]))
            raise


def error_type(error: BaseException) -> str:
    """A short, low-cardinality name for a failure: the project's error type, else the class."""
    kind = getattr(error, "error_type", None)
    return str(getattr(kind, "value", None) or type(error).__name__)


class GenAITracingInterceptor(TracingInterceptor):
    """temporalio's tracing interceptor, arranged so that each agent run is one trace.

    The run's span (`RunWorkflow:<Agent>`, with GenAI `invoke_agent` attributes) is the
    parent of its steps' spans, also for runs started by clients that trace nothing
    (`restack run:agent`, the UI, schedules). Workflow spans cannot last (a replay would
    leave them open), so the run's span is a zero-length marker at the run's start.
    """

    def __init__(self, tracer: Tracer, agent_names: Iterable[str] = ()) -> None:
        super().__init__(tracer, always_create_workflow_spans=True)
        self.agent_names = frozenset(agent_names)

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)
        return _RunSpanIsParent

    def _completed_workflow_span(self, params: Any) -> Any:
        kind, _, name = str(params.name).partition(":")
        if kind == "RunWorkflow":
            attributes = dict(params.attributes or {})
            is_agent = name in self.agent_names
            attributes[GEN_AI_OPERATION_NAME] = "invoke_agent" if is_agent else "invoke_workflow"
            attributes[GEN_AI_AGENT_NAME] = name
            attributes[GEN_AI_AGENT_ID] = str(attributes.get("temporalWorkflowID", ""))
            params = dataclasses.replace(params, attributes=attributes)
        return super()._completed_workflow_span(params)


class _RunSpanIsParent(TracingWorkflowInboundInterceptor):
    """Runs the workflow, its signal and update handlers under the run's span.

    temporalio makes the steps' spans children of the client's span (none when the
    client does not trace); here the run's span is made first and then stands in for the
    client's span. On a replay (a worker restart mid-run) no span is made again, so
    steps after it fall back to temporalio's arrangement.
    """

    async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
        carrier = self._load_workflow_context_carrier()
        parent = self.text_map_propagator.extract(carrier) if carrier else Context()
        token = otel_context.attach(self._set_on_context(parent))
        try:
            run_carrier = self._run_span()
        finally:
            otel_context.detach(token)
        if run_carrier:
            self._workflow_context_carrier = run_carrier
        with self._top_level_workflow_context(success_is_complete=True):
            return await WorkflowInboundInterceptor.execute_workflow(self, input)

    def _run_span(self) -> dict[str, Any] | None:
        if workflow.unsafe.is_replaying():
            return None
        carrier: dict[str, Any] = {}
        self.text_map_propagator.inject(carrier)
        info = workflow.info()
        completed = self._extern_functions["__temporal_opentelemetry_completed_span"]
        made: dict[str, Any] | None = completed(
            _CompletedWorkflowSpanParams(
                context=carrier,
                name=f"RunWorkflow:{info.workflow_type}",
                attributes={"temporalWorkflowID": info.workflow_id, "temporalRunID": info.run_id},
                time_ns=workflow.time_ns(),
                link_context=None,
                exception=None,
                kind=SpanKind.SERVER,
                parent_missing=trace.get_current_span() is trace.INVALID_SPAN,
            )
        )
        return made


def tracing_interceptors(agent_names: Iterable[str] = ()) -> list[TracingInterceptor]:
    """The worker's tracing interceptor when tracing is on, else none."""
    current = _tracer
    return [] if current is None else [GenAITracingInterceptor(current, agent_names)]
