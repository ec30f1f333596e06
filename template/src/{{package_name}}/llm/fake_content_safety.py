# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""A fake Azure AI Content Safety on 127.0.0.1, for tests of the content checks.

    async with FakeContentSafetyServer(api_key="test-key") as server:
        ... point features.content_safety.endpoint at server.endpoint ...
        server.inject(ContentSafetyFault.http(429))   # the next request is rate limited

It speaks text:analyze as Azure does (POST /contentsafety/text:analyze?api-version=...,
key in `Ocp-Apim-Subscription-Key`, errors as `{"error": {"code", "message"}}`) and
rates a text by markers written into it, so a test picks the severity it needs:

    [violence:4]    Violence rated 4 (medium)
    [self-harm:high]    SelfHarm rated 6; levels: safe=0, low=2, medium=4, high=6
    [SelfHarm:7]    Azure's names work too; numbers 0-7, case-insensitive

A category without a marker is rated 0; several markers of one category give the
highest. With `outputType: FourSeverityLevels` (the default) a number is rounded down
to 0, 2, 4 or 6, as Azure does; `EightSeverityLevels` returns it as written. Only the
requested `categories` are answered (all four when the field is absent).

What it refuses, as Azure does: a wrong or missing key (401), another path or an
api-version it does not know (404), a body that is not JSON, a missing or empty
`text`, a `text` over 10,000 characters (counted in UTF-16 code units, the stricter
reading), unknown categories or output types (400). Faults (`inject`): an HTTP status
with Azure's error body (429 with Retry-After), a hang, malformed JSON, and any body
(`ContentSafetyFault.body`, `odd_analyze_bodies()` for 200s of the wrong shape).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from .loopback import Answer, IncomingRequest, LoopbackServer

ContentSafetyFaultKind = Literal["status", "hang", "malformed", "body"]

ANALYZE_PATH = "/contentsafety/text:analyze"
API_VERSIONS = frozenset({"2023-10-01", "2024-09-01"})
TEXT_LIMIT = 10_000
AZURE_NAMES = ("Hate", "SelfHarm", "Sexual", "Violence")
OUTPUT_TYPES = ("FourSeverityLevels", "EightSeverityLevels")

MARKER = re.compile(
    r"\[(violence|hate|sexual|self-harm|selfharm):([0-7]|safe|low|medium|high)\]", re.IGNORECASE
)
_MARKER_CATEGORY = {
    "violence": "Violence",
    "hate": "Hate",
    "sexual": "Sexual",
    "self-harm": "SelfHarm",
    "selfharm": "SelfHarm",
}
_LEVELS = {"safe": 0, "low": 2, "medium": 4, "high": 6}

_MESSAGES = {
    400: ("InvalidRequestBody", "The request body is invalid."),
    401: (
        "401",
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
        "provide a valid key for an active subscription and use a correct regional API "
        "endpoint for your resource.",
    ),
    404: ("404", "Resource not found"),
    429: ("429", "Rate limit is exceeded. Try again in 1 seconds."),
    500: ("InternalServerError", "An unexpected error occurred."),
    503: ("ServiceUnavailable", "The service is temporarily unavailable."),
}


def marker(category: str, severity: int | str) -> str:
    """The marker that makes the fake rate a text: `marker("violence", 4)`."""
    return f"[{category}:{severity}]"


def rate(text: str, output_type: str = "FourSeverityLevels") -> dict[str, int]:
    """The fake's rating of `text` per Azure category name (0 without a marker)."""
    rated = dict.fromkeys(AZURE_NAMES, 0)
    for match in MARKER.finditer(text):
        name = _MARKER_CATEGORY[match.group(1).lower()]
        value = match.group(2).lower()
        severity = _LEVELS[value] if value in _LEVELS else int(value)
        rated[name] = max(rated[name], severity)
    if output_type == "FourSeverityLevels":
        rated = {name: severity - severity % 2 for name, severity in rated.items()}
    return rated


@dataclass(frozen=True)
class ContentSafetyFault:
    kind: ContentSafetyFaultKind
    status: int = 500
    code: str = ""
    message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    content: bytes = b""

    @classmethod
    def http(
        cls,
        status: int,
        message: str | None = None,
        *,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> ContentSafetyFault:
        """Answer `status` with Azure's error body (429 brings a Retry-After of 1s)."""
        default_code, default_message = _MESSAGES.get(status, (str(status), "Error"))
        if retry_after is None and status == 429:
            retry_after = 1
        headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
        return cls(
            "status",
            status=status,
            code=code or default_code,
            message=message or default_message,
            headers=headers,
        )

    @classmethod
    def hang(cls, seconds: float = 30.0) -> ContentSafetyFault:
        """Wait `seconds` before answering (past the client's timeout)."""
        return cls("hang", seconds=seconds)

    @classmethod
    def malformed(cls) -> ContentSafetyFault:
        """A 200 whose body is cut-off JSON."""
        return cls("malformed")

    @classmethod
    def body(cls, content: bytes | str | Any, status: int = 200) -> ContentSafetyFault:
        """Answer with exactly this body: bytes or text as given, anything else as JSON."""
        if isinstance(content, str):
            content = content.encode()
        elif not isinstance(content, bytes):
            content = json.dumps(content).encode()
        return cls("body", status=status, content=content)


def odd_analyze_bodies() -> list[bytes]:
    """200 bodies that are not a text:analyze rating."""
    good = {"blocklistsMatch": [], "categoriesAnalysis": [{"category": "Hate", "severity": 0}]}
    shapes: list[Any] = [
        {},
        {"blocklistsMatch": []},
        {"categoriesAnalysis": None},
        {"categoriesAnalysis": "Hate:0"},
        {"categoriesAnalysis": {"Hate": 0}},
        {"categoriesAnalysis": [None]},
        {"categoriesAnalysis": ["Hate"]},
        {"categoriesAnalysis": [{"category": "Hate"}]},
        {"categoriesAnalysis": [{"severity": 2}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": "2"}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": 2.5}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": True}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": -2}]},
        {"categoriesAnalysis": [{"category": "Hate", "severity": 99}]},
        {"categoriesAnalysis": [{"category": 3, "severity": 0}]},
        {"categoriesAnalysis": []},
        {"error": {"code": "InternalServerError", "message": "200 with an error"}},
        [good],
    ]
    return [
        b"",
        b"<html><body>502 Bad Gateway</body></html>",
        b"null",
        b"42",
        b'"safe"',
        b"[" * 100_000,  # deeper than any JSON parser recurses
        *(json.dumps(shape).encode() for shape in shapes),
    ]


@dataclass
class AnalyzeRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


class FakeContentSafetyServer(LoopbackServer):
    """An HTTP/1.1 server (keep-alive) speaking text:analyze; start it in a running loop.

    `api_key` is the key it accepts (None: any key, but the header must be there).
    """

    content_type = "application/json; charset=utf-8"

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None
    ) -> None:
        super().__init__(host, port)
        self.api_key = api_key
        self.requests: list[AnalyzeRequest] = []
        self._faults: deque[ContentSafetyFault] = deque()

    # ------------------------------------------------------------------ control

    @property
    def endpoint(self) -> str:
        """The resource URL to put in features.content_safety.endpoint."""
        return f"http://{self.host}:{self.port}"

    @property
    def request_count(self) -> int:
        return len(self.requests)

    @property
    def texts(self) -> list[str]:
        """The `text` of every request received, in order."""
        return [
            request.body["text"]
            for request in self.requests
            if isinstance(request.body, dict) and isinstance(request.body.get("text"), str)
        ]

    def inject(self, fault: ContentSafetyFault, times: int = 1) -> None:
        """Answer the next `times` requests with `fault` (faults queue up in order)."""
        self._faults.extend([fault] * times)

    def clear_faults(self) -> None:
        self._faults.clear()

    # ------------------------------------------------------------------ HTTP

    async def handle(self, request: IncomingRequest) -> Answer:
        try:
            body = json.loads(request.raw) if request.raw else None
        except (ValueError, RecursionError):
            body = request.raw
        parts = urlsplit(request.target)
        query = parse_qs(parts.query)
        self.requests.append(
            AnalyzeRequest(request.method, parts.path, query, request.headers, body)
        )
        status, extra, payload = await self._answer(
            request.method, parts.path, query, request.headers, body
        )
        return status, {"apim-request-id": f"fake-{self.request_count}", **extra}, payload

    async def _answer(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
    ) -> tuple[int, dict[str, str], bytes]:
        fault = self._faults.popleft() if self._faults else None
        if fault is not None and fault.kind == "hang":
            await asyncio.sleep(fault.seconds)
        presented = headers.get("ocp-apim-subscription-key")
        if presented is None or (self.api_key is not None and presented != self.api_key):
            return _error(401)
        version = query.get("api-version", [""])[0]
        if method != "POST" or path != ANALYZE_PATH or version not in API_VERSIONS:
            return _error(404)
        if fault is not None and fault.kind == "status":
            return _error(fault.status, fault.code, fault.message, fault.headers)
        if fault is not None and fault.kind == "malformed":
            return 200, {}, b'{"blocklistsMatch": [], "categoriesAnalysis": [{"categ'
        if fault is not None and fault.kind == "body":
            return fault.status, {}, fault.content
        problem = _invalid(body)
        if problem is not None:
            return _error(400, "InvalidRequestBody", problem)
        categories = body.get("categories") or list(AZURE_NAMES)
        rated = rate(body["text"], body.get("outputType") or "FourSeverityLevels")
        answer = {
            "blocklistsMatch": [],
            "categoriesAnalysis": [
                {"category": name, "severity": rated[name]}
                for name in AZURE_NAMES
                if name in categories
            ],
        }
        return 200, {}, json.dumps(answer).encode()


def _invalid(body: Any) -> str | None:
    """Why `body` is not a valid text:analyze request, or None."""
    if not isinstance(body, dict):
        return "The request body is not a JSON object."
    text = body.get("text")
    if not isinstance(text, str) or not text:
        return "Text is required and must be a non-empty string."
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2
    if units > TEXT_LIMIT:
        return f"Text length {units} exceeds the maximum of {TEXT_LIMIT} characters."
    categories = body.get("categories")
    if categories is not None and (
        not isinstance(categories, list) or any(c not in AZURE_NAMES for c in categories)
    ):
        return f"Categories must be a list of: {', '.join(AZURE_NAMES)}."
    output_type = body.get("outputType")
    if output_type is not None and output_type not in OUTPUT_TYPES:
        return f"OutputType must be one of: {', '.join(OUTPUT_TYPES)}."
    return None


def _error(
    status: int,
    code: str | None = None,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    default_code, default_message = _MESSAGES.get(status, (str(status), "Error"))
    error = {"error": {"code": code or default_code, "message": message or default_message}}
    return status, dict(headers or {}), json.dumps(error).encode()
