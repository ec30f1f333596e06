# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The HTTP/1.1 server under the fake servers of llm/testing.py and
llm/fake_content_safety.py: 127.0.0.1, keep-alive, JSON answers.

A subclass says how to answer one request (`handle`); this class reads requests off each
connection and writes the answers. `stop` ends every connection, answers in progress
included (a fault that hangs), so a test never waits on a fake it is done with.
"""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import Self

Answer = tuple[int, dict[str, str], bytes]

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    529: "Overloaded",
}


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    target: str  # the path, with its query string
    headers: dict[str, str]  # names in lower case
    raw: bytes


class _NotHTTPError(Exception):
    """The bytes on the connection are not an HTTP request."""


class LoopbackServer(ABC):
    """Serves `handle`'s answers; start it inside a running event loop."""

    content_type = "application/json"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    @abstractmethod
    async def handle(self, request: IncomingRequest) -> Answer:
        """The status, extra headers and body to answer `request` with."""

    async def start(self) -> Self:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._connections):
            writer.close()
        for handler in list(self._handlers):
            handler.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), timeout=2)
        self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            while True:
                request = await _read_request(reader)
                status, extra, payload = await self.handle(request)
                headers = {
                    "content-type": self.content_type,
                    "content-length": str(len(payload)),
                    **extra,
                }
                head = f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\n" + "".join(
                    f"{name}: {value}\r\n" for name, value in headers.items()
                )
                writer.write(head.encode("latin-1") + b"\r\n" + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except _NotHTTPError:
            pass  # drop the connection, as a server would
        except asyncio.CancelledError:
            # Stopped mid-answer (e.g. during a hang): end quietly, since asyncio would
            # report a cancelled connection handler as an error.
            pass
        finally:
            self._connections.discard(writer)
            self._handlers.discard(task)
            writer.close()


async def _read_request(reader: asyncio.StreamReader) -> IncomingRequest:
    head = await reader.readuntil(b"\r\n\r\n")
    try:
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
    except ValueError:
        raise _NotHTTPError from None
    if length < 0:
        raise _NotHTTPError
    raw = await reader.readexactly(length) if length else b""
    return IncomingRequest(method, target, headers, raw)
