"""Observability: structured logging with correlation ids.

Every log line a function writes carries the workflow id and run id of the agent or
workflow that called it, so one run's story can be read across processes:
`grep run_id=... logs` or a JSON query when `RESTACK_LOG_FORMAT=json`.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog
from temporalio import activity


def configure_logging(level: str | None = None, fmt: str | None = None) -> None:
    """Configure structlog and the standard library once per process."""
    level_name = (level or os.environ.get("RESTACK_LOG_LEVEL") or "INFO").upper()
    json_output = (fmt or os.environ.get("RESTACK_LOG_FORMAT") or "console") == "json"
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(level_name, logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(
        level=level_name, stream=sys.stderr, format="%(levelname)s %(name)s %(message)s"
    )


def function_logger(**extra: Any) -> Any:
    """A logger bound to the calling agent's or workflow's ids; use inside functions."""
    bound: dict[str, Any] = dict(extra)
    if activity.in_activity():
        info = activity.info()
        bound.update(
            workflow_id=info.workflow_id,
            run_id=info.workflow_run_id,
            function=info.activity_type,
            attempt=info.attempt,
        )
    return structlog.get_logger().bind(**bound)
