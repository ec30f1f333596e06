# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Fake LLM servers on 127.0.0.1 that speak the real wire formats, with fault injection.

    async with FakeLLMServer("openai") as server:         # or "anthropic", "kong"
        server.inject(Fault.http(503), times=2)         # next two requests fail
        ... point a provider's base_url at server.base_url ...
        assert server.request_count == 3

Without faults they answer like the mock provider (echo the prompt; call offered tools,
then answer from their results). Faults: HTTP statuses with the provider's own error
body (500/502/503/529, 429 with Retry-After), a hang past the client's timeout,
malformed JSON, a 200 with an error body, a content-filter/refusal answer, a body
with missing fields, and any 200 body you give (`Fault.body`, `odd_bodies(wire)`).
A wrong key gets a 401 whose message echoes the key it was sent, as some servers do.
`FakeLLMServer("kong", routes={"/openai/chat": "openai/gpt-4o-mini"})` also routes like
Kong: a path no route matches gets Kong's 404 `no Route matched with those values`, a
body without messages gets ai-proxy's own 400, and `X-Kong-LLM-Model` names the route's
provider/model.
`FaultMix` draws a random fault per request, for chaos tests; `serve_in_thread` runs a
server for synchronous callers (CLI tests). Also runnable as a process, for
benchmarks or manual tests: `python -m` on this module with `--wire openai --port 8099`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from .loopback import Answer, IncomingRequest, LoopbackServer
from .models import estimate_tokens
from .providers.anthropic import to_anthropic_tool_choice
from .providers.mock import mock_reply, tool_calls_as_openai

Wire = Literal["openai", "anthropic", "kong"]
FaultKind = Literal[
    "status", "hang", "malformed", "error_body", "refusal", "missing_fields", "body"
]


# Model names of OpenAI's reasoning families, as the fake server recognises them.
_REASONING_FAMILIES = ("o1", "o3", "o4-mini", "gpt-5")


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    content: bytes = b""

    @classmethod
    def http(cls, status: int, retry_after: float | None = None) -> Fault:
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return cls("status", status=status, headers=headers)

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Fault:
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed(cls) -> Fault:
        return cls("malformed")

    @classmethod
    def error_body(cls) -> Fault:
        return cls("error_body")

    @classmethod
    def refusal(cls) -> Fault:
        return cls("refusal")

    @classmethod
    def missing_fields(cls) -> Fault:
        return cls("missing_fields")

    @classmethod
    def body(cls, content: bytes | str | Any, status: int = 200) -> Fault:
        """Answer with exactly this body: bytes or text as given, anything else as JSON."""
        if isinstance(content, str):
            content = content.encode()
        elif not isinstance(content, bytes):
            content = json.dumps(content).encode()
        return cls("body", status=status, content=content)


def odd_bodies(wire: Wire) -> list[bytes]:
    """200 bodies a broken or misconfigured server might send, each wrong for `wire`."""
    good: dict[str, Any]
    if wire == "anthropic":
        good = {
            "type": "message",
            "content": [{"type": "text", "text": "hi"}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 3, "output_tokens": 1},
        }
        wrong_shapes: list[Any] = [
            {**good, "content": "hi"},
            {**good, "content": [{"type": "text", "text": 5}]},
            {**good, "content": [{"type": "tool_use", "id": 1, "name": None}]},
            {**good, "content": ["hi"]},
            {**good, "stop_reason": 7},
            {**good, "usage": {"input_tokens": "abc"}},
            {**good, "usage": [1, 2]},
        ]
    else:
        message = {"role": "assistant", "content": "hi"}
        good = {
            "choices": [{"message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1},
        }
        wrong_shapes = [
            {"choices": [{"message": "hi"}]},
            {"choices": [{"message": {**message, "content": 5}}]},
            {"choices": "hi"},
            {"choices": []},
            {"choices": [None]},
            {**good, "usage": {"prompt_tokens": "abc"}},
            {**good, "usage": [1, 2]},
            {**good, "usage": {"prompt_tokens": -4}},
            {"choices": [{"message": {**message, "tool_calls": [{"id": "c", "function": 5}]}}]},
            {
                "choices": [
                    {
                        "message": {
                            **message,
                            "tool_calls": [
                                {"id": "c", "function": {"name": "f", "arguments": "[1]"}}
                            ],
                        }
                    }
                ]
            },
        ]
    return [
        b"",
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"id": "cut", "choices": [ {"mess',
        b"[" * 100_000,  # deeper than any JSON parser recurses
        b"null",
        b"42",
        b'"hi"',
        b"[1, 2]",
        b"{}",
        *(json.dumps(shape).encode() for shape in wrong_shapes),
    ]


class FaultMix:
    """A random fault (or None: answer normally) per request, for chaos tests.

    Rates are probabilities per request; a 429 burst answers the next `burst_length`
    requests with 429 and a Retry-After. Seeded, so a run can be repeated.
    """

    def __init__(
        self,
        wire: Wire,
        *,
        server_error: float = 0.0,
        hang: float = 0.0,
        malformed: float = 0.0,
        error_body: float = 0.0,
        rate_limit_burst: float = 0.0,
        burst_length: int = 5,
        retry_after: float = 0.05,
        hang_seconds: float = 5.0,
        seed: int = 0,
    ) -> None:
        self.rates = (server_error, hang, malformed, error_body, rate_limit_burst)
        self.burst_length = burst_length
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self._random = random.Random(seed)
        self._bodies = odd_bodies(wire)
        self._burst_left = 0
        self.counts: dict[str, int] = {}

    def __call__(self) -> Fault | None:
        fault, name = self._draw()
        self.counts[name] = self.counts.get(name, 0) + 1
        return fault

    def _draw(self) -> tuple[Fault | None, str]:
        if self._burst_left > 0:
            self._burst_left -= 1
            return Fault.http(429, retry_after=self.retry_after), "429"
        roll = self._random.random()
        name = "ok"
        kinds = ("5xx", "hang", "malformed", "error_body", "429")
        for kind, rate in zip(kinds, self.rates, strict=True):
            if roll < rate:
                name = kind
                break
            roll -= rate
        if name == "ok":
            return None, name
        if name == "5xx":
            return Fault.http(self._random.choice([500, 502, 503, 529])), name
        if name == "hang":
            return Fault.hang(self.hang_seconds), name
        if name == "malformed":
            return Fault.body(self._random.choice(self._bodies)), name
        if name == "error_body":
            return Fault.error_body(), name
        self._burst_left = self.burst_length - 1
        return Fault.http(429, retry_after=self.retry_after), name


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


class FakeLLMServer(LoopbackServer):
    """An HTTP/1.1 server (keep-alive) for one wire format; start it inside a running loop."""

    def __init__(
        self,
        wire: Wire = "openai",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        kong_model: str = "openai/gpt-4o-mini",
        routes: dict[str, str] | None = None,
    ) -> None:
        super().__init__(host, port)
        self.wire = wire
        self.api_key = api_key
        self.kong_model = kong_model
        # Kong's routes (path -> "provider/model"); None answers on every path.
        self.routes = routes
        self.requests: list[RecordedRequest] = []
        self.arrived = 0
        self._faults: deque[Fault] = deque()
        # Asked for a fault whenever none is queued (e.g. a FaultMix).
        self.fault_source: Callable[[], Fault | None] | None = None
        self._arrivals = asyncio.Condition()
        self.record = True

    # ------------------------------------------------------------------ control

    @property
    def base_url(self) -> str:
        """The URL to put in `base_url` (OpenAI wire includes /v1) or Kong's `url`."""
        root = f"http://{self.host}:{self.port}"
        return f"{root}/v1" if self.wire == "openai" else root

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def inject(self, fault: Fault, times: int = 1) -> None:
        """Answer the next `times` requests with `fault` (faults queue up in order)."""
        self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        self._faults.clear()

    async def wait_for_requests(self, count: int) -> None:
        """Return once `count` requests have arrived (wrap in `asyncio.timeout` to bound)."""
        async with self._arrivals:
            await self._arrivals.wait_for(lambda: self.arrived >= count)

    # ------------------------------------------------------------------ HTTP

    async def handle(self, request: IncomingRequest) -> Answer:
        try:
            body = json.loads(request.raw) if request.raw else None
        except ValueError:
            body = None
        if self.record:
            self.requests.append(
                RecordedRequest(request.method, request.target, request.headers, body)
            )
        async with self._arrivals:
            self.arrived += 1
            self._arrivals.notify_all()
        return await self._answer(request.target, request.headers, body)

    def _kong_route(self, path: str) -> str | None:
        """The route a path matches, as Kong matches paths (longest prefix first)."""
        assert self.routes is not None
        path = path.partition("?")[0]
        matching = [route for route in self.routes if path.startswith(route)]
        return max(matching, key=len) if matching else None

    async def _answer(
        self, path: str, headers: dict[str, str], body: Any
    ) -> tuple[int, dict[str, str], bytes]:
        served = self.kong_model
        if self.wire == "kong" and self.routes is not None:
            route = self._kong_route(path)
            if route is None:
                return _kong_message(404, "no Route matched with those values")
            served = self.routes[route]
            if not isinstance(body, dict) or not body.get("messages"):
                # ai-proxy refuses it before anything goes upstream.
                message = "request body doesn't contain valid prompts"
                return 400, {}, json.dumps({"error": {"message": message}}).encode()
        if self._faults:
            fault: Fault | None = self._faults.popleft()
        else:
            fault = self.fault_source() if self.fault_source is not None else None
        if fault is not None and fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
        if self.api_key is not None and not self._authorized(headers):
            return self._error(401, f"Incorrect API key provided: {self._presented(headers)}")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return self._error(400, "messages: field required")
        refused = self._refused_parameter(body)
        if refused is not None:
            return self._error(400, refused)
        if fault is not None and fault.kind == "status":
            return self._error(fault.status, "injected failure", fault.headers)
        if fault is not None and fault.kind == "malformed":
            return 200, {}, b'{"id": "broken", "choices": [ {"mess'
        if fault is not None and fault.kind == "body":
            return fault.status, {}, fault.content
        if fault is not None and fault.kind == "error_body":
            if self.wire == "anthropic":
                error = {"type": "error", "error": {"type": "api_error", "message": "injected"}}
            else:
                error = {"error": {"message": "injected", "type": "server_error"}}
            return 200, {}, json.dumps(error).encode()
        if fault is not None and fault.kind == "missing_fields":
            return 200, {}, json.dumps({"id": "incomplete", "usage": {}}).encode()
        refusal = fault is not None and fault.kind == "refusal"
        if self.wire == "anthropic":
            return 200, {}, json.dumps(self._anthropic(body, refusal)).encode()
        extra = {"x-kong-llm-model": served} if self.wire == "kong" else {}
        return 200, extra, json.dumps(self._openai(body, refusal)).encode()

    def _refused_parameter(self, body: dict[str, Any]) -> str | None:
        """OpenAI's answer to a reasoning model asked with parameters it does not take."""
        model = str(body.get("model", "")).rpartition("/")[2]
        if self.wire == "anthropic" or not model.startswith(_REASONING_FAMILIES):
            return None
        if "max_tokens" in body:
            return (
                "Unsupported parameter: 'max_tokens' is not supported with this model. "
                "Use 'max_completion_tokens' instead."
            )
        if body.get("temperature", 1) != 1:
            return (
                f"Unsupported value: 'temperature' does not support {body['temperature']} "
                "with this model. Only the default (1) value is supported."
            )
        return None

    def _presented(self, headers: dict[str, str]) -> str:
        if self.wire == "anthropic":
            return headers.get("x-api-key", "")
        if self.wire == "kong":
            return headers.get("apikey", "")
        return headers.get("authorization", "").removeprefix("Bearer ")

    def _authorized(self, headers: dict[str, str]) -> bool:
        return self._presented(headers) == self.api_key

    def _error(
        self, status: int, message: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        if self.wire == "anthropic":
            kinds = {429: "rate_limit_error", 529: "overloaded_error", 401: "authentication_error"}
            kind = kinds.get(status, "api_error" if status >= 500 else "invalid_request_error")
            body: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
        elif self.wire == "kong" and status == 429:
            body = {"message": "API rate limit exceeded for provider openai"}
            headers = {
                **(headers or {}),
                "x-ai-ratelimit-limit-60-openai": "1000",
                "x-ai-ratelimit-remaining-60-openai": "0",
            }
        else:
            kind = "requests" if status == 429 else ("server_error" if status >= 500 else "invalid")
            body = {"error": {"message": message, "type": kind, "param": None, "code": None}}
        return status, dict(headers or {}), json.dumps(body).encode()

    @staticmethod
    def _prompt_tokens(messages: list[dict[str, Any]]) -> int:
        return sum(estimate_tokens(json.dumps(m.get("content"))) for m in messages)

    def _openai(self, body: dict[str, Any], refusal: bool) -> dict[str, Any]:
        tools = body.get("tools") or []
        text, calls = mock_reply(body["messages"], tools, body.get("tool_choice"))
        message: dict[str, Any] = {"role": "assistant", "content": text or None, "refusal": None}
        finish = "stop"
        if refusal:
            message["content"], finish = None, "content_filter"
        elif calls:
            message["tool_calls"], finish = tool_calls_as_openai(calls), "tool_calls"
        prompt = self._prompt_tokens(body["messages"])
        completion = estimate_tokens(text or "x")
        return {
            "id": f"chatcmpl-{self.request_count}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def _anthropic(self, body: dict[str, Any], refusal: bool) -> dict[str, Any]:
        # Translate the Anthropic request back to OpenAI turns for the shared mock logic.
        messages: list[dict[str, Any]] = []
        for turn in body["messages"]:
            blocks = turn["content"] if isinstance(turn["content"], list) else []
            text = turn["content"] if isinstance(turn["content"], str) else ""
            calls = []
            for block in blocks:
                if block.get("type") == "text":
                    text += block.get("text", "")
                elif block.get("type") == "tool_use":
                    arguments = json.dumps(block.get("input", {}))
                    calls.append(
                        {
                            "id": block["id"],
                            "function": {"name": block["name"], "arguments": arguments},
                        }
                    )
                elif block.get("type") == "tool_result":
                    messages.append(
                        {
                            "role": "tool",
                            "tool_call_id": block.get("tool_use_id"),
                            "content": block.get("content"),
                        }
                    )
            if text or calls:
                messages.append({"role": turn["role"], "content": text, "tool_calls": calls})
        tools = [
            {"type": "function", "function": {"name": t["name"], "parameters": t["input_schema"]}}
            for t in body.get("tools") or []
        ]
        choice = body.get("tool_choice")
        wanted: Any = None
        if isinstance(choice, dict) and choice.get("type") == "tool":
            wanted = {"type": "function", "function": {"name": choice["name"]}}
        elif choice == to_anthropic_tool_choice("none"):
            wanted = "none"
        text, tool_calls = mock_reply(messages, tools, wanted)
        content: list[dict[str, Any]] = []
        if text:
            content.append({"type": "text", "text": text})
        for call in tool_calls:
            content.append(
                {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments}
            )
        stop = "refusal" if refusal else ("tool_use" if tool_calls else "end_turn")
        prompt = self._prompt_tokens(body["messages"])
        return {
            "id": f"msg_{self.request_count}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "fake"),
            "content": [] if refusal else content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": estimate_tokens(text or "x")},
        }


def _kong_message(status: int, message: str) -> tuple[int, dict[str, str], bytes]:
    """An error Kong itself answers (not a plugin's): a message and a request id."""
    body = {"message": message, "request_id": f"{random.getrandbits(128):032x}"}
    return status, {}, json.dumps(body).encode()


@contextlib.contextmanager
def serve_in_thread(server: FakeLLMServer) -> Iterator[FakeLLMServer]:
    """Run `server` on its own event loop in a daemon thread (for synchronous callers)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(), loop).result(timeout=10)
        yield server
    finally:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(server.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


async def _serve_forever(wire: Wire, port: int, record: bool) -> None:
    server = FakeLLMServer(wire, port=port)
    server.record = record
    await server.start()
    print(server.base_url, flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a fake LLM server on 127.0.0.1")
    parser.add_argument("--wire", choices=["openai", "anthropic", "kong"], default="openai")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-record", action="store_true", help="Do not keep requests")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(args.wire, args.port, not args.no_record))


if __name__ == "__main__":
    main()
