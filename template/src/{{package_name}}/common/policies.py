"""Retry policies and timeouts for `step` calls.

A `step` without a retry policy is retried forever by the engine, so every step in this
project passes one of these bounded policies.
"""

from __future__ import annotations

from datetime import timedelta

from restack_ai.agent import RetryPolicy

# Deterministic, in-process work: a failure is a bug, so retry only briefly.
QUICK_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=2),
    maximum_attempts=3,
)
QUICK_TIMEOUT = timedelta(seconds=30)

# Calls to the outside world (HTTP APIs, databases): transient failures are expected.
NETWORK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
NETWORK_TIMEOUT = timedelta(minutes=5)
