# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The tool servers' part of the service's life: start them before the worker polls, stop
them after it has finished its last call, so no call is cut off and no server outlives it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .supervisor import FastMCPServerManager


@asynccontextmanager
async def lifespan() -> AsyncIterator[None]:
    tool_servers = FastMCPServerManager()
    await tool_servers.start_all()
    try:
        yield
    finally:
        await tool_servers.stop_all()
