# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Content safety: rate what goes to a model and what comes back, block what the policy
refuses (features.content_safety in config/llm_router.yaml).

Kong's ai-azure-content-safety plugin is Enterprise-only, so with `backend: direct` (or
Kong OSS) the checks run here, around each call:

    guard = ContentGuard(config.llm.router.features.content_safety)
    await guard.screen(request_text(request.messages), stage="input")
    ...
    await guard.screen(response.content, stage="output", provider=response.provider)

Two checkers rate a text in four categories (violence, hate, sexual, self-harm) at
`low`, `medium` or `high`:

- `local` (`LocalRuleChecker`): regular expressions, offline and deterministic. The
  built-in rules are a narrow baseline that catches explicit requests (how to build a
  bomb, a lethal dose, calls to exterminate a group), not a moderation model: they match
  phrases, not meaning, so they miss paraphrases and also fire on a refusal or a
  discussion that repeats such a phrase. Add your own with `rules:`.
- `azure` (`AzureContentSafetyChecker`): Azure AI Content Safety's text:analyze, a
  trained classifier. Texts over its 10,000-character limit are sent in chunks and the
  worst severity per category is kept.

A text rated at or above the lowest severity in `block_on` fails the call with
`ContentBlockedError` (content_filter, not retried, no fallback: another provider would
meet the same policy). When the checker cannot answer, `on_error` decides: `block` fails
the call with `ContentCheckFailedError`, `allow` lets the text through with a warning.
Log lines and errors name stages, categories and severities, never the text itself.
"""

from __future__ import annotations

import asyncio
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx
import structlog

from .config import SAFETY_CATEGORIES, ContentSafetyFeature, SafetyCategory, Severity
from .errors import LLMError, LLMErrorType, LLMRouterError
from .metrics import llm_content_safety_errors_total, llm_content_safety_violations_total
from .redaction import Redactor

Stage = Literal["input", "output"]

log = structlog.get_logger("llm_router")

SEVERITY_RANK: dict[Severity, int] = {"low": 1, "medium": 2, "high": 3}
CONFIG_KEY = "features.content_safety"
POLICY_FIX = (
    f"if such text should pass, change {CONFIG_KEY} in config/llm_router.yaml "
    "(block_on, filters, check or rules)"
)


@dataclass(frozen=True)
class Violation:
    """One finding: `category` rated `severity` (low or above) by `source`
    (`builtin:<rule>`, `rule:<pattern>` or `azure`)."""

    category: SafetyCategory
    severity: Severity
    source: str


def worst_per_category(violations: Iterable[Violation]) -> list[Violation]:
    """The most severe finding of each category, in the order of SAFETY_CATEGORIES."""
    worst: dict[SafetyCategory, Violation] = {}
    for violation in violations:
        found = worst.get(violation.category)
        if found is None or SEVERITY_RANK[violation.severity] > SEVERITY_RANK[found.severity]:
            worst[violation.category] = violation
    return [worst[category] for category in SAFETY_CATEGORIES if category in worst]


# ------------------------------------------------------------------------ errors


class ContentSafetyUnavailableError(LLMRouterError):
    """The checker could not rate a text (unreachable, timed out, refused the key, or
    answered something that is not a rating). The message names the cause and the fix."""

    fix = (
        f"Check {CONFIG_KEY} in config/llm_router.yaml; `on_error` decides whether text "
        "that cannot be checked is blocked or allowed."
    )

    def __init__(self, checker: str, message: str, *, status_code: int | None = None) -> None:
        self.checker = checker
        self.status_code = status_code
        super().__init__(message)


class ContentBlockedError(LLMError):
    """A call stopped by the content-safety policy (content_filter, not retryable).

    `stage` is `input` (nothing was sent to a provider) or `output` (`provider`'s answer
    was withheld); `violations` holds the worst finding per category. Its `condition` is
    None: no provider is tried instead, since every one meets the same policy.
    """

    fix = f"Change {CONFIG_KEY} in config/llm_router.yaml if such text should pass."

    def __init__(
        self,
        stage: Stage,
        message: str,
        *,
        violations: Sequence[Violation] = (),
        provider: str | None = None,
    ) -> None:
        self.stage = stage
        self.violations = tuple(violations)
        super().__init__(
            LLMErrorType.CONTENT_FILTER,
            provider or "content_safety",
            message,
            retryable=False,
        )

    @property
    def condition(self) -> str | None:
        return None


class ContentCheckFailedError(ContentBlockedError):
    """The text could not be checked and `on_error: block` refuses unchecked text.

    Retryable when the checker was unavailable (timeouts, 429, 5xx), so the engine tries
    the step again later; never when it refused our request or key."""

    fix = (
        f"Fix the checker (see the message), or set {CONFIG_KEY}.on_error: allow to let "
        "unchecked text through."
    )

    def __init__(
        self, stage: Stage, cause: Exception, *, checker: str, provider: str | None = None
    ) -> None:
        self.checker = checker
        self.cause = cause
        reason = (
            str(cause)
            if isinstance(cause, ContentSafetyUnavailableError)
            else f"the {checker} checker failed ({type(cause).__name__})"
        )
        super().__init__(
            stage,
            f"the {stage} could not be checked and on_error is block: {reason}. To let "
            f"unchecked text through instead, set {CONFIG_KEY}.on_error: allow",
            provider=provider,
        )
        # An outage may pass, so the engine may retry the step later; a refused key or
        # endpoint (or a crashing checker) fails the same way every time.
        self.retryable = isinstance(cause, ContentSafetyUnavailableError) and (
            cause.status_code not in {400, 401, 403, 404}
        )


# ------------------------------------------------------------------------ checkers


class ContentChecker(Protocol):
    """Rates a text. `analyze` returns every finding at severity low or above in the
    feature's `filters` (possibly several per category), or raises
    ContentSafetyUnavailableError when it cannot tell."""

    name: str

    async def analyze(self, text: str) -> list[Violation]: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class BuiltinRule:
    """A rule of the baseline, matched case-insensitively. Every match of `pattern`
    contains one of `keywords` (lowercase), so a text without any of them is not
    searched: most texts then cost a few substring scans instead of a regex search."""

    name: str
    category: SafetyCategory
    severity: Severity
    pattern: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class _Rule:
    category: SafetyCategory
    severity: Severity
    pattern: re.Pattern[str]
    source: str
    keywords: tuple[str, ...] = ()


# Pieces of the built-in patterns. Every repetition is bounded or runs over a character
# class disjoint from what follows it, so a search stays linear in the text's length.
_GAP = r"(?:\S{1,30}\s+){0,2}?"  # up to two words in between
_HOW = r"how\s+(?:do\s+i\s+|can\s+i\s+|could\s+i\s+|would\s+i\s+|should\s+i\s+|to\s+)"
_REQUEST = r"\b(?:write|generate|create|make|show|send|draw|describe|produce)\s+(?:me\s+)?"
_APOSTROPHE = "['\u2019]"
_MINOR = (
    r"(?:minors?|child(?:ren)?|kids?|underage\s+\S{1,30}|little\s+(?:girls?|boys?)|"
    r"preteens?|(?:[1-9]|1[0-7])[-\s]?(?:year|yr)s?[-\s]?olds?)"
)
_GROUP = (
    r"(?:people|peoples|races?|ethnic\s+groups?|ethnicities|tribes?|immigrants|"
    r"refugees|minorities)"
)
_GROUP_WORDS = ("people", "race", "ethnic", "tribe", "immigrant", "refugee", "minorit")

BUILTIN_RULES: tuple[BuiltinRule, ...] = (
    BuiltinRule(
        "explosives-instructions",
        "violence",
        "high",
        rf"\b(?:{_HOW}|instructions?\s+(?:for|on|to)\s+|steps?\s+(?:for|to)\s+|"
        rf"guide\s+(?:for|to|on)\s+|recipe\s+for\s+){_GAP}"
        r"(?:make|making|build|building|assemble|assembling|construct|constructing)\s+"
        r"(?:an?\s+|the\s+|my\s+own\s+|some\s+)?(?:home-?made\s+|improvised\s+|working\s+)?"
        r"(?:pipe[\s-]?bombs?|bombs?|explosives?|explosive\s+devices?|ieds?|"
        r"molotov(?:\s+cocktails?)?|grenades?|car\s+bombs?|suicide\s+vests?|detonators?)\b",
        ("bomb", "explosive", "ied", "molotov", "grenade", "vest", "detonator"),
    ),
    BuiltinRule(
        "mass-casualty-weapons",
        "violence",
        "high",
        r"\b(?:make|produce|synthesi[sz]e|manufacture|weaponi[sz]e|cultivate|brew)\s+"
        rf"{_GAP}(?:sarin|vx|nerve\s+(?:agents?|gas)|mustard\s+gas|ricin|anthrax|"
        r"chemical\s+weapons?|biological\s+weapons?|bio-?weapons?|dirty\s+bombs?)\b",
        ("sarin", "vx", "nerve", "mustard", "ricin", "anthrax", "weapon", "bomb"),
    ),
    BuiltinRule(
        "attack-planning",
        "violence",
        "high",
        r"\b(?:plan|planning|carry\s+out|commit|organi[sz]e)\s+(?:an?\s+|the\s+|my\s+)?"
        r"(?:mass\s+shooting|school\s+shooting|terrorist\s+attack|terror\s+attack|"
        r"massacre|bombing)\b",
        ("shooting", "attack", "massacre", "bombing"),
    ),
    BuiltinRule(
        "death-threat",
        "violence",
        "medium",
        rf"\bi(?:\s+am\s+going\s+to|{_APOSTROPHE}m\s+going\s+to|\s+am\s+gonna|"
        rf"{_APOSTROPHE}m\s+gonna|\s+will|{_APOSTROPHE}ll|\s+gonna)\s+"
        r"(?:kill|murder|shoot|stab|strangle|behead)\s+(?:you|him|her|them|your\s+\S{1,30})\b",
        ("kill", "murder", "shoot", "stab", "strangle", "behead"),
    ),
    BuiltinRule(
        "suicide-method",
        "self-harm",
        "high",
        rf"\b(?:{_HOW}|(?:best|easiest|quickest|fastest|painless|least\s+painful|surest)\s+"
        rf"(?:ways?|methods?)\s+to\s+){_GAP}(?:kill\s+myself|commit\s+suicide|"
        r"end\s+my\s+(?:own\s+)?life|hang\s+myself|overdose|slit\s+my\s+wrists?)\b",
        ("myself", "suicide", "life", "overdose", "wrist"),
    ),
    BuiltinRule(
        "lethal-dose",
        "self-harm",
        "high",
        r"\bhow\s+(?:many|much)\s+(?:\S{1,30}\s+){0,3}?"
        r"(?:pills?|tablets?|capsules?|mg|milligrams?|grams?)\s+(?:\S{1,30}\s+){0,3}?"
        r"(?:to\s+(?:kill\s+myself|die|overdose|end\s+my\s+life)|(?:would|will)\s+kill\s+me|"
        r"is\s+(?:a\s+)?(?:lethal|fatal))\b",
        ("kill", "die", "overdose", "life", "lethal", "fatal"),
    ),
    BuiltinRule(
        "suicidal-intent",
        "self-harm",
        "medium",
        rf"\bi(?:\s+want|\s+wanna|\s+need|\s+plan|\s+intend|\s+am\s+going|"
        rf"{_APOSTROPHE}m\s+going|\s+am\s+gonna|{_APOSTROPHE}m\s+gonna)\s+(?:to\s+)?"
        r"(?:kill\s+myself|commit\s+suicide|end\s+my\s+(?:own\s+)?life|end\s+it\s+all)\b",
        ("myself", "suicide", "life", "end"),
    ),
    BuiltinRule(
        "suicide-incitement",
        "self-harm",
        "medium",
        r"\b(?:you\s+should|go|just)\s+kill\s+yourself\b",
        ("yourself",),
    ),
    BuiltinRule(
        "extermination-call",
        "hate",
        "high",
        r"\b(?:exterminate|eradicate|annihilate|wipe\s+out|ethnically\s+cleanse|gas)\s+"
        r"(?:all\s+(?:of\s+)?)?(?:the\s+|those\s+|these\s+)?(?:\S{1,30}\s+)?"
        rf"{_GROUP}\b",
        _GROUP_WORDS,
    ),
    BuiltinRule(
        "extermination-wish",
        "hate",
        "high",
        rf"\b{_GROUP}\s+(?:should|must|need\s+to|deserve\s+to|ought\s+to)\s+(?:all\s+)?be\s+"
        r"(?:exterminated|eradicated|wiped\s+out|gassed|annihilated|ethnically\s+cleansed)\b",
        ("exterminated", "eradicated", "wiped", "gassed", "annihilated", "cleansed"),
    ),
    BuiltinRule(
        "genocide-endorsement",
        "hate",
        "high",
        r"\b(?:genocide|ethnic\s+cleansing)\s+(?:is|was|would\s+be)\s+"
        r"(?:(?:totally|completely|entirely|absolutely|fully|morally|clearly)\s+)?"
        r"(?:good|justified|necessary|deserved|the\s+answer|the\s+solution)\b",
        ("genocide", "cleansing"),
    ),
    BuiltinRule(
        "dehumanization",
        "hate",
        "medium",
        r"\b(?:these|those|all|such)\s+(?:\S{1,30}\s+)?(?:people|immigrants|refugees|"
        r"minorities)\s+are\s+(?:nothing\s+but\s+|just\s+|all\s+)?(?:sub-?humans?|vermin|"
        r"parasites|cockroaches|animals|rats|a\s+plague|a\s+disease)\b",
        ("human", "vermin", "parasite", "cockroach", "animal", "rat", "plague", "disease"),
    ),
    BuiltinRule(
        "inferior-race",
        "hate",
        "low",
        r"\b(?:inferior|sub-?human)\s+(?:races?|peoples?|ethnicit(?:y|ies))\b",
        ("race", "people", "ethnicit"),
    ),
    BuiltinRule(
        "sexual-minors",
        "sexual",
        "high",
        rf"{_REQUEST}(?:an?\s+|some\s+)?(?:nude|naked|explicit|erotic|pornographic|porn|"
        rf"lewd|sexual|sexy)\s+{_GAP}(?:of|with|involving|featuring|about)\s+"
        rf"(?:an?\s+|the\s+|some\s+)?{_MINOR}\b",
        ("minor", "child", "kid", "underage", "girl", "boy", "preteen", "old"),
    ),
    BuiltinRule(
        "abuse-material",
        "sexual",
        "medium",
        r"\bchild\s+(?:porn(?:o|ography)?|sex(?:ual)?\s+abuse\s+material)\b",
        ("child",),
    ),
    BuiltinRule(
        "explicit-request",
        "sexual",
        "medium",
        rf"{_REQUEST}(?:an?\s+|some\s+)?(?:sexually\s+explicit|explicit\s+sex(?:ual)?|"
        r"hardcore|x-rated|pornographic|graphic\s+sex(?:ual)?)\s+(?:\S{1,30}\s+)?"
        r"(?:scenes?|stor(?:y|ies)|content|descriptions?|fan\s*fic(?:tion)?|role-?play)\b",
        ("explicit", "hardcore", "rated", "porn", "graphic"),
    ),
    BuiltinRule("pornography", "sexual", "low", r"\bporn(?:o|ography|ographic)?\b", ("porn",)),
)

# Characters that hide a phrase from a pattern without changing how it reads.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u034f\u180e\u200b\u200c\u200d\u2060\ufeff"))
# Case-insensitive matching takes the dotted and dotless I for `i`; casefold() does not.
_TURKISH_I = {0x130: "i", 0x131: "i"}


def _normalized(text: str) -> str:
    """The text as a reader sees it: compatibility forms folded (fullwidth and styled
    letters to plain ones), invisible characters removed."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text.translate(_INVISIBLE))


def _folded(text: str) -> str:
    """Lowercase such that every character a case-insensitive pattern takes for an ASCII
    letter becomes that letter (for the keyword test)."""
    return text.lower() if text.isascii() else text.translate(_TURKISH_I).casefold()


class LocalRuleChecker:
    """Regular-expression rules, offline and deterministic: the built-in baseline
    (BUILTIN_RULES) plus `rules:` from the config, all case-insensitive.

    A rule matches the text as written or its normalized form (see `_normalized`), so
    fullwidth letters or zero-width spaces do not hide a phrase. Only categories in
    `filters` are reported. Your own patterns run as written: keep them free of nested
    unbounded repetition, since a pattern such as `(a+)+b` takes exponential time.
    """

    name = "local"

    def __init__(self, feature: ContentSafetyFeature) -> None:
        filters = set(feature.filters)
        rules = [
            _Rule(
                rule.category,
                rule.severity,
                re.compile(rule.pattern, re.IGNORECASE),
                f"builtin:{rule.name}",
                rule.keywords,
            )
            for rule in BUILTIN_RULES
        ]
        rules += [
            _Rule(
                rule.category,
                rule.severity,
                re.compile(rule.pattern, re.IGNORECASE),
                f"rule:{rule.pattern}",
            )
            for rule in feature.rules
        ]
        self._rules = [rule for rule in rules if rule.category in filters]

    def check(self, text: str) -> list[Violation]:
        """Every rule that matches, in rule order (synchronous; `analyze` wraps it)."""
        normalized = _normalized(text)
        forms = [text] if normalized == text else [text, normalized]
        folded = [_folded(form) for form in forms]
        found: list[Violation] = []
        for rule in self._rules:
            for form, lowered in zip(forms, folded, strict=True):
                if rule.keywords and not any(word in lowered for word in rule.keywords):
                    continue
                if rule.pattern.search(form):
                    found.append(Violation(rule.category, rule.severity, rule.source))
                    break
        return found

    async def analyze(self, text: str) -> list[Violation]:
        return self.check(text)

    async def aclose(self) -> None:
        return None


# Azure's names for the categories, and the ones it answers with.
AZURE_CATEGORIES: dict[SafetyCategory, str] = {
    "hate": "Hate",
    "self-harm": "SelfHarm",
    "sexual": "Sexual",
    "violence": "Violence",
}
_FROM_AZURE: dict[str, SafetyCategory] = {name: key for key, name in AZURE_CATEGORIES.items()}
AZURE_TEXT_LIMIT = 10_000  # characters per text:analyze request
CHUNK_OVERLAP = 200  # characters each chunk repeats from the previous one
MAX_PARALLEL_CHUNKS = 4
_KEY_FIX = (
    f"set $AZURE_CONTENT_SAFETY_KEY (or {CONFIG_KEY}.api_key) to a key of the same resource "
    "as the endpoint (Azure portal: the resource's Keys and Endpoint page)"
)
_ENDPOINT_FIX = (
    f"set $AZURE_CONTENT_SAFETY_ENDPOINT (or {CONFIG_KEY}.endpoint) to the resource URL, "
    "e.g. https://<resource>.cognitiveservices.azure.com"
)


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


WHITESPACE_WINDOW = 500  # characters at a chunk's end searched for a place to cut


def chunk_spans(
    text: str, limit: int = AZURE_TEXT_LIMIT, overlap: int = CHUNK_OVERLAP
) -> list[tuple[int, int]]:
    """(start, end) of chunks of at most `limit` characters that together cover `text`.

    Characters are counted in UTF-16 code units, the stricter reading of the limit (an
    emoji counts twice). A chunk ends after a whitespace near its end when there is one,
    and the next one starts `overlap` characters earlier, so a phrase cut at a boundary
    is still seen whole in one chunk.
    """
    if _utf16_length(text) <= limit:
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(text):
        piece = text[start : start + limit]
        units = _utf16_length(piece)
        while units > limit and len(piece) > 1:
            piece = piece[: len(piece) - max(1, (units - limit) // 2)]
            units = _utf16_length(piece)
        end = start + len(piece)
        if end < len(text):
            window = min(len(piece) // 2, WHITESPACE_WINDOW)
            cuts = [m.end() for m in re.finditer(r"\s+", piece[len(piece) - window :])]
            if cuts:
                end = start + len(piece) - window + cuts[-1]
        spans.append((start, end))
        if end >= len(text):
            break
        start = end - overlap if end - overlap > start else end
    return spans


def split_text(text: str, limit: int = AZURE_TEXT_LIMIT, overlap: int = CHUNK_OVERLAP) -> list[str]:
    """The chunks of `chunk_spans`."""
    return [text[start:end] for start, end in chunk_spans(text, limit, overlap)]


class AzureContentSafetyChecker:
    """Azure AI Content Safety: POST {endpoint}/contentsafety/text:analyze with the
    filtered categories and `FourSeverityLevels` (0 safe, 2 low, 4 medium, 6 high).

    Any failure (timeout, connection, non-2xx, a body that is not a rating) raises
    ContentSafetyUnavailableError; the key never appears in its message.
    """

    name = "azure"

    def __init__(
        self,
        feature: ContentSafetyFeature,
        *,
        client: httpx.AsyncClient | None = None,
        redact: Redactor | None = None,
    ) -> None:
        self.endpoint = (feature.endpoint or "").rstrip("/")
        self.api_version = feature.api_version
        self.timeout = feature.timeout
        self.categories = [c for c in SAFETY_CATEGORIES if c in feature.filters]
        self._key = feature.key
        self._redact = redact or Redactor([self._key] if self._key else [])
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=feature.timeout)

    @property
    def url(self) -> str:
        return f"{self.endpoint}/contentsafety/text:analyze"

    async def analyze(self, text: str) -> list[Violation]:
        if not self.categories or not text.strip():
            return []
        if not self.endpoint:
            raise self._unavailable("no endpoint is configured", _ENDPOINT_FIX)
        if not self._key:
            raise self._unavailable("no key is configured", _KEY_FIX)
        chunks = split_text(text)
        if len(chunks) == 1:
            return await self._analyze_chunk(chunks[0])
        results: list[list[Violation]] = [[] for _ in chunks]
        parallel = asyncio.Semaphore(MAX_PARALLEL_CHUNKS)

        async def rate(index: int, chunk: str) -> None:
            async with parallel:
                results[index] = await self._analyze_chunk(chunk)

        try:
            async with asyncio.TaskGroup() as group:
                for index, chunk in enumerate(chunks):
                    group.create_task(rate(index, chunk))
        except BaseExceptionGroup as failures:
            # The first failure explains the rest (they share the cause).
            first = failures.exceptions[0]
            while isinstance(first, BaseExceptionGroup):
                first = first.exceptions[0]
            raise first from None
        return worst_per_category(v for found in results for v in found)

    async def _analyze_chunk(self, text: str) -> list[Violation]:
        body = {
            "text": text,
            "categories": [AZURE_CATEGORIES[c] for c in self.categories],
            "outputType": "FourSeverityLevels",
        }
        try:
            response = await self._client.post(
                self.url,
                params={"api-version": self.api_version},
                # ASCII JSON: a lone surrogate in the text is escaped, not an encoding error.
                content=json.dumps(body).encode(),
                headers={
                    "Ocp-Apim-Subscription-Key": self._key or "",
                    "content-type": "application/json",
                },
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            raise self._unavailable(
                f"no answer within {self.timeout:g}s",
                f"raise {CONFIG_KEY}.timeout, or check the network path to the endpoint",
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            raise self._unavailable(
                f"cannot be reached ({type(error).__name__}: {error})",
                f"check the endpoint and the network; {_ENDPOINT_FIX}",
            ) from None
        if not 200 <= response.status_code < 300:
            raise self._status_error(response)
        return self._parse(response)

    def _parse(self, response: httpx.Response) -> list[Violation]:
        not_rating = (
            "check that the endpoint is an Azure AI Content Safety resource and not a proxy "
            "or another service"
        )
        try:
            data: Any = response.json()
        except (ValueError, RecursionError):
            raise self._unavailable(
                f"the {response.status_code} answer is not JSON", not_rating
            ) from None
        analysis = data.get("categoriesAnalysis") if isinstance(data, dict) else None
        if not isinstance(analysis, list):
            raise self._unavailable("the answer has no categoriesAnalysis list", not_rating)
        rated: dict[SafetyCategory, int] = {}
        for item in analysis:
            name = item.get("category") if isinstance(item, dict) else None
            severity = item.get("severity") if isinstance(item, dict) else None
            if (
                not isinstance(name, str)
                or not isinstance(severity, int)
                or isinstance(severity, bool)
                or not 0 <= severity <= 7
            ):
                raise self._unavailable(
                    "the answer has a categoriesAnalysis entry that is not "
                    "{category, severity 0-7}",
                    not_rating,
                )
            category = _FROM_AZURE.get(name)
            if category is not None and category in self.categories:
                rated[category] = max(severity, rated.get(category, 0))
        missing = [AZURE_CATEGORIES[c] for c in self.categories if c not in rated]
        if missing:
            raise self._unavailable(
                f"the answer does not rate {', '.join(missing)}",
                f"check {CONFIG_KEY}.api_version (2024-09-01 rates all four categories)",
            )
        found: list[Violation] = []
        for category in self.categories:
            severity = _severity(rated[category])
            if severity is not None:
                found.append(Violation(category, severity, self.name))
        return found

    def _status_error(self, response: httpx.Response) -> ContentSafetyUnavailableError:
        status = response.status_code
        detail = f"{status}: {_error_detail(response)}"
        if status in (401, 403):
            return self._unavailable(f"the key was refused ({detail})", _KEY_FIX, status)
        if status == 404:
            return self._unavailable(
                f"there is no text:analyze at this URL ({detail})",
                f"{_ENDPOINT_FIX} (no path), and check {CONFIG_KEY}.api_version (e.g. 2024-09-01)",
                status,
            )
        if status == 429:
            return self._unavailable(
                f"the resource is rate limited ({detail})",
                "send fewer requests or move the resource to a higher pricing tier",
                status,
            )
        if status >= 500:
            return self._unavailable(
                f"the service failed ({detail})",
                "try again later; the Azure status page shows outages",
                status,
            )
        return self._unavailable(
            f"the request was refused ({detail})",
            f"check {CONFIG_KEY}.api_version and filters",
            status,
        )

    def _unavailable(
        self, cause: str, fix: str, status: int | None = None
    ) -> ContentSafetyUnavailableError:
        where = self.endpoint or "(no endpoint)"
        message = f"Azure AI Content Safety at {where}: {cause}. Fix: {fix}"
        return ContentSafetyUnavailableError(self.name, self._redact(message), status_code=status)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def _severity(value: int) -> Severity | None:
    """Azure's severity (0-7; FourSeverityLevels gives 0, 2, 4, 6) as a level."""
    if value >= 6:
        return "high"
    if value >= 4:
        return "medium"
    if value >= 2:
        return "low"
    return None


def _error_detail(response: httpx.Response) -> str:
    """`code: message` of Azure's error body `{"error": {"code", "message"}}`."""
    try:
        data = response.json()
    except (ValueError, RecursionError):
        return response.text[:200] or response.reason_phrase
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        parts = [str(error[key]) for key in ("code", "message") if error.get(key)]
        if parts:
            return ": ".join(parts)[:200]
    return response.text[:200]


def build_checker(
    feature: ContentSafetyFeature,
    *,
    client: httpx.AsyncClient | None = None,
    redact: Redactor | None = None,
) -> ContentChecker:
    """The checker `feature.provider` names."""
    if feature.provider == "azure":
        return AzureContentSafetyChecker(feature, client=client, redact=redact)
    return LocalRuleChecker(feature)


# ------------------------------------------------------------------------ the guard


class ContentGuard:
    """Applies features.content_safety to the texts of a call.

    `screen` returns when the text may pass and raises ContentBlockedError (or
    ContentCheckFailedError) when it may not. Each screened text with findings moves
    `llm_content_safety_violations_total` once per category (its worst severity; action
    `blocked` or `allowed` says what happened to the text) and, with `log_violations`,
    writes one `llm_content_violation` line.
    """

    def __init__(
        self, feature: ContentSafetyFeature, checker: ContentChecker | None = None
    ) -> None:
        self.feature = feature
        self.checker: ContentChecker = checker or build_checker(feature)
        self.block_from: Severity = min(feature.block_on, key=SEVERITY_RANK.__getitem__)
        self._filters = set(feature.filters)

    @property
    def whole_conversation(self) -> bool:
        """Whether every message of a request is checked, not only the new turn."""
        return self.feature.screen == "whole_conversation"

    def screens(self, stage: Stage) -> bool:
        """Whether `screen` checks texts of this stage."""
        return self.feature.enabled and stage in self.feature.check

    async def screen(self, text: str, *, stage: Stage, provider: str | None = None) -> None:
        """Check `text` (the request for `input`, `provider`'s answer for `output`)."""
        if not self.screens(stage) or not text.strip():
            return
        blamed = provider if stage == "output" else None
        try:
            found = await self.checker.analyze(text)
        except Exception as error:  # any failure of the checker means "not checked"
            self._check_failed(error, stage, blamed)
            return
        violations = worst_per_category(v for v in found if v.category in self._filters)
        if not violations:
            return
        threshold = SEVERITY_RANK[self.block_from]
        blocked = any(SEVERITY_RANK[v.severity] >= threshold for v in violations)
        action = "blocked" if blocked else "allowed"
        for violation in violations:
            llm_content_safety_violations_total.labels(
                stage, violation.category, violation.severity, action
            ).inc()
        if self.feature.log_violations:
            write = log.warning if blocked else log.info
            write(
                "llm_content_violation",
                stage=stage,
                action=action,
                checker=self.checker.name,
                violations={v.category: v.severity for v in violations},
                sources=[v.source for v in violations],
                provider=blamed,
                characters=len(text),
            )
        if blocked:
            found_text = ", ".join(f"{v.category} {v.severity}" for v in violations)
            raise ContentBlockedError(
                stage,
                f"the {stage} was blocked by content safety: {found_text} (block_on blocks "
                f"{self.block_from} and above). Fix: {POLICY_FIX}",
                violations=violations,
                provider=blamed,
            )

    def _check_failed(self, error: Exception, stage: Stage, provider: str | None) -> None:
        action = self.feature.on_error
        checker = self.checker.name
        llm_content_safety_errors_total.labels(checker, action).inc()
        reason = (
            str(error)
            if isinstance(error, ContentSafetyUnavailableError)
            else f"{type(error).__name__} in the {checker} checker"
        )
        log.warning(
            "llm_content_check_failed", stage=stage, checker=checker, action=action, error=reason
        )
        if action == "block":
            raise ContentCheckFailedError(stage, error, checker=checker, provider=provider)

    async def aclose(self) -> None:
        await self.checker.aclose()


# ------------------------------------------------------------------------ what to screen


def request_text(messages: Sequence[Any], *, whole_conversation: bool = False) -> str:
    """The text of a request to screen on input: user and tool messages.

    Only the messages after the last assistant message are taken: they are what changed
    since the previous call, whose input was screened then and whose answer was screened
    as output. Screening the whole history on every turn would send the same text to
    the checker again and again (Azure bills per text). When the history itself comes
    from an untrusted client, which could forge earlier turns, pass
    `whole_conversation=True`. System messages are the application's own and are not
    screened; parts other than text (images) are skipped.
    """
    start = 0
    if not whole_conversation:
        for index, message in enumerate(messages):
            if isinstance(message, dict) and message.get("role") == "assistant":
                start = index + 1
    texts: list[str] = []
    for message in messages[start:]:
        if isinstance(message, dict) and message.get("role") in ("user", "tool"):
            _collect_text(message.get("content"), texts, depth=0)
    return "\n\n".join(text for text in texts if text)


def _collect_text(content: Any, into: list[str], depth: int) -> None:
    """Strings, `{"type": "text", "text": ...}` parts and nested `content` lists."""
    if depth > 8:
        return
    if isinstance(content, str):
        into.append(content)
    elif isinstance(content, list):
        for part in content:
            _collect_text(part, into, depth + 1)
    elif isinstance(content, dict):
        if isinstance(content.get("text"), str):
            into.append(content["text"])
        if "content" in content:
            _collect_text(content["content"], into, depth + 1)
