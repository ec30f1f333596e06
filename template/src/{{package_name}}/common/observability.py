# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Logging: structured lines that say which run they belong to.

Every line written while a Restack function or agent runs carries that run's ids, read
from the engine's context by a processor (nobody passes them by hand):

    run_id, workflow_id, workflow     the agent's or workflow's run, id and name
    activity_id, function, attempt    the step (inside functions only)
    trace_id, span_id                 the OpenTelemetry span, when tracing is on

So one run's story can be read across processes: `grep <run_id>` in console logs, or
`jq 'select(.run_id == "...")'` on JSON logs. One setting chooses the format:
`RESTACK_LOG_FORMAT=json` (production: one JSON object per line) or `console` (default,
readable). Lines from the standard library's loggers (the SDK's, httpx's) go through the
same processors, so JSON logs stay JSON.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, TextIO

import structlog
from opentelemetry import trace
from temporalio import activity, workflow

LOG_FORMAT_ENV = "RESTACK_LOG_FORMAT"
LOG_LEVEL_ENV = "RESTACK_LOG_LEVEL"
LOG_FORMATS = ("console", "json")

EventDict = MutableMapping[str, Any]

# Loggers that the SDKs configure with handlers of their own; their lines are sent to the
# root handler instead so that they are rendered like every other line.
_SDK_LOGGERS = ("restack", "temporal", "temporalio")
# HTTP clients that log every request at INFO: the router and the tool client write one
# line per call themselves, and health probes would drown the rest.
_CHATTY_LOGGERS = ("httpx", "httpx2", "httpcore")
# (field in our lines, key in temporalio's log details)
_DETAIL_FIELDS = (
    ("run_id", "run_id"),
    ("run_id", "workflow_run_id"),
    ("workflow_id", "workflow_id"),
    ("workflow", "workflow_type"),
    ("function", "activity_type"),
    ("activity_id", "activity_id"),
    ("attempt", "attempt"),
)


def add_run_context(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """Add the ids of the function step or agent run this line was written in."""
    if activity.in_activity():
        info = activity.info()
        event.setdefault("run_id", info.workflow_run_id)
        event.setdefault("workflow_id", info.workflow_id)
        event.setdefault("workflow", info.workflow_type)
        event.setdefault("function", info.activity_type)
        event.setdefault("activity_id", info.activity_id)
        event.setdefault("attempt", info.attempt)
    elif workflow.in_workflow():
        winfo = workflow.info()
        event.setdefault("run_id", winfo.run_id)
        event.setdefault("workflow_id", winfo.workflow_id)
        event.setdefault("workflow", winfo.workflow_type)
    return event


def add_trace_context(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """Add the current OpenTelemetry trace and span ids (nothing when tracing is off)."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


def _record_fields(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """Lift the structured fields the SDKs put on standard-library log records."""
    record = event.get("_record")
    if record is None:
        return event
    event.setdefault("logger", record.name)
    for key, value in getattr(record, "extra_fields", {}).items():
        if key not in ("restack", "client_log"):
            event.setdefault(key, value)
    # temporalio's adapters attach the run as a mapping; it is the only source of ids
    # for a line written outside the task that ran the step.
    details = getattr(record, "temporal_activity", None) or getattr(
        record, "temporal_workflow", None
    )
    if isinstance(details, Mapping):
        for field, key in _DETAIL_FIELDS:
            if details.get(key) is not None:
                event.setdefault(field, details[key])
    return event


def _record_time(_logger: Any, _method: str, event: EventDict) -> EventDict:
    """Stamp a standard-library line with the time its record was made, not written.

    The engine client hands its own lines (e.g. the worker's "Initializing worker") to
    Python in batches, with the time they happened on the record: stamped on arrival
    they would appear to belong to whatever ran a moment later.
    """
    record = event.get("_record")
    if record is None:
        return event
    stamp = datetime.fromtimestamp(record.created, tz=UTC)
    event["timestamp"] = stamp.isoformat().replace("+00:00", "Z")
    return event


class _RootHandledLogger(logging.Logger):
    """A logger whose lines always go to the root handler, whatever else asks.

    restack_ai sets up its logger with a handler of its own when it is imported, and the
    workflow sandbox imports it afresh for every agent run; that would put the SDK's
    lines (and agents' `log.info(...)`) back in another format in the middle of JSON logs.
    """

    @property
    def handlers(self) -> list[logging.Handler]:
        return []

    @handlers.setter
    def handlers(self, _value: list[logging.Handler]) -> None:
        pass

    @property
    def propagate(self) -> bool:
        return True

    @propagate.setter
    def propagate(self, _value: bool) -> None:
        pass

    def addHandler(self, hdlr: logging.Handler) -> None:  # noqa: N802 - logging's name
        pass


def log_format(fmt: str | None = None) -> str:
    chosen = (fmt or os.environ.get(LOG_FORMAT_ENV) or "console").lower()
    return chosen if chosen in LOG_FORMATS else "console"


def configure_logging(
    level: str | None = None, fmt: str | None = None, stream: TextIO | None = None
) -> None:
    """Configure structlog and the standard library's logging for this process.

    `fmt` is `json` or `console` (default: `$RESTACK_LOG_FORMAT`, else console); lines go
    to `stream` (default stderr).
    """
    level_name = (level or os.environ.get(LOG_LEVEL_ENV) or "INFO").upper()
    numeric_level = logging.getLevelNamesMapping().get(level_name, logging.INFO)
    output = stream or sys.stderr
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format(fmt) == "json"
        else structlog.dev.ConsoleRenderer(colors=output.isatty())
    )
    shared: list[Any] = [structlog.processors.add_log_level, add_run_context, add_trace_context]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *shared,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(file=output),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(output)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[_record_fields, *shared, _record_time],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)
    for name in _SDK_LOGGERS:
        sdk_logger = logging.getLogger(name)
        sdk_logger.handlers.clear()
        sdk_logger.propagate = True
        sdk_logger.__class__ = _RootHandledLogger
    for name in _CHATTY_LOGGERS:
        quiet = numeric_level if numeric_level <= logging.DEBUG else logging.WARNING
        logging.getLogger(name).setLevel(max(numeric_level, quiet))
    # The ids are fields of their own here; temporalio would also append them to the text.
    workflow.logger.workflow_info_on_message = False
    activity.logger.activity_info_on_message = False


def function_logger(**extra: Any) -> Any:
    """A logger with `extra` bound; the run's ids are added to every line automatically."""
    return structlog.get_logger().bind(**extra)
