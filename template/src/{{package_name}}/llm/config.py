# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""config/llm_router.yaml: schema, `${VAR}` / `${VAR:-default}` substitution, clear errors.

Every error names the file, the key path and the fix, e.g.
`config/llm_router.yaml: llm.providers[1].modle: unknown key. Fix: remove it, or use one
of: api_key, base_url, ...`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo

from ..common.settings import project_root
from .errors import ConfigError
from .redaction import SECRET_NAME, Redactor

ProviderType = Literal["openai", "anthropic", "openai_compatible", "mock"]
Condition = Literal[
    "timeout",
    "connection_error",
    "5xx",
    "rate_limit",
    "malformed_response",
    "llm_error",
    "invalid_request",
]

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")

DEFAULT_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}


CONFIG_ENV = "LLM_ROUTER_CONFIG"


def default_config_path() -> Path:
    """`$LLM_ROUTER_CONFIG`, else config/llm_router.yaml under the project root."""
    override = os.environ.get(CONFIG_ENV)
    return Path(override) if override else project_root() / "config" / "llm_router.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Window = Literal["second", "minute", "hour", "day"]
WINDOW_SECONDS: dict[str, float] = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
Severity = Literal["low", "medium", "high"]
Stage = Literal["input", "output"]
SafetyCategory = Literal["violence", "hate", "sexual", "self-harm"]
SAFETY_CATEGORIES: tuple[SafetyCategory, ...] = ("violence", "hate", "sexual", "self-harm")


class RateLimitFeature(_Strict):
    """Budgets shared by every provider: tokens and requests per window.

    With `backend: direct` the router enforces them, per worker process; with Kong the
    gateway does (docs/kong.md says which plugin needs which edition)."""

    enabled: bool = False
    window: Window = "minute"
    token_limit: int | None = Field(default=None, gt=0, description="Tokens per window")
    request_limit: int | None = Field(default=None, gt=0, description="Requests per window")
    strategy: Literal["sliding", "fixed"] = "sliding"
    enforcement: Literal["block", "log"] = Field(
        default="block", description="block: refuse the call; log: let it through, log and count"
    )

    @model_validator(mode="after")
    def _needs_a_limit(self) -> RateLimitFeature:
        if self.enabled and self.token_limit is None and self.request_limit is None:
            raise ValueError(
                "ai_rate_limiting is enabled without a limit; set `token_limit`, "
                "`request_limit` or both (or `enabled: false`)"
            )
        return self

    @property
    def window_seconds(self) -> float:
        return WINDOW_SECONDS[self.window]


# Targets the router cannot export to itself, and what to use instead.
_EXPORT_ELSEWHERE = {
    "datadog": "scrape the service's /metrics with the Datadog Agent's OpenMetrics check, "
    "or use Kong's datadog plugin with backend: kong",
    "cloudwatch": "scrape /metrics with the CloudWatch agent's Prometheus support, "
    "or ship the `llm_call` log lines with CloudWatch Logs",
}


class Budget(_Strict):
    """Spending caps in USD; a call that would start past one fails with budget_exceeded."""

    per_run_usd: float | None = Field(
        default=None, gt=0, le=1_000_000, description="Per agent run (one workflow)"
    )
    per_day_usd: float | None = Field(
        default=None, gt=0, le=1_000_000, description="Per UTC day, per worker process"
    )


class CostTrackingFeature(_Strict):
    enabled: bool = True
    export_to: list[str] = Field(
        default_factory=lambda: ["prometheus", "logs"],
        description="prometheus: the llm_cost_* metrics; logs: cost fields in log lines",
    )
    budget: Budget = Budget()

    @model_validator(mode="after")
    def _known_targets(self) -> CostTrackingFeature:
        if not self.enabled and (self.budget.per_run_usd or self.budget.per_day_usd):
            raise ValueError("a budget needs cost tracking; set `enabled: true` or remove `budget`")
        for target in self.export_to:
            if target in _EXPORT_ELSEWHERE:
                raise ValueError(
                    f"export_to '{target}' is not built into the router, which exports to "
                    f"prometheus and logs. Fix: keep prometheus and {_EXPORT_ELSEWHERE[target]}"
                )
            if target not in ("prometheus", "logs"):
                raise ValueError(
                    f"export_to '{target}' is unknown. Fix: use prometheus, logs or both"
                )
        return self


class SafetyRule(_Strict):
    """A local rule: text matching `pattern` (a regular expression, case-insensitive)
    is rated `severity` in `category`."""

    category: SafetyCategory
    severity: Severity
    pattern: str = Field(min_length=1)

    @model_validator(mode="after")
    def _compiles(self) -> SafetyRule:
        try:
            re.compile(self.pattern)
        except (re.error, OverflowError, RecursionError) as error:
            raise ValueError(f"pattern {self.pattern!r} is not a valid regex ({error})") from None
        return self


class ContentSafetyFeature(_Strict):
    """Checks on what is sent and what comes back; a blocked text fails the call with
    content_filter. `provider: local` is a rule-based checker that works offline;
    `azure` calls Azure AI Content Safety (text:analyze)."""

    enabled: bool = False
    provider: Literal["local", "azure"] = "local"
    filters: list[SafetyCategory] = Field(default_factory=lambda: list(SAFETY_CATEGORIES))
    block_on: list[Severity] = Field(
        default_factory=lambda: list[Severity](["high"]),
        min_length=1,
        description="Severities that block; the lowest listed blocks everything above it too",
    )
    log_violations: bool = True
    screen: Literal["new_messages", "whole_conversation"] = Field(
        default="new_messages",
        description="What of a request is checked: the messages after the last answer "
        "(earlier ones were checked on their turn), or all of them, for applications that "
        "pass on a conversation their clients wrote",
    )
    check: list[Stage] = Field(
        default_factory=lambda: list[Stage](["input", "output"]), min_length=1
    )
    endpoint: str | None = Field(
        default=None, description="Azure resource URL; default $AZURE_CONTENT_SAFETY_ENDPOINT"
    )
    api_key: SecretStr | None = Field(
        default=None, description="Azure key; default $AZURE_CONTENT_SAFETY_KEY"
    )
    api_version: str = "2024-09-01"
    timeout: float = Field(default=5.0, gt=0, le=60)
    on_error: Literal["block", "allow"] = Field(
        default="block", description="When the checker cannot answer: block (fail closed) or allow"
    )
    rules: list[SafetyRule] = Field(
        default_factory=list, description="Extra local rules, on top of the built-in ones"
    )

    @property
    def key(self) -> str | None:
        return _clear(self.api_key)


class Features(_Strict):
    ai_rate_limiting: RateLimitFeature = RateLimitFeature()
    cost_tracking: CostTrackingFeature = CostTrackingFeature()
    content_safety: ContentSafetyFeature = ContentSafetyFeature()


class RouterSettings(_Strict):
    backend: Literal["direct", "kong"] = "direct"
    url: str | None = Field(default=None, description="Kong proxy URL (backend: kong)")
    api_key: SecretStr | None = Field(
        default=None, description="Kong consumer key, if key-auth is on"
    )
    api_key_header: str = "apikey"
    kong_edition: Literal["oss", "enterprise"] = Field(
        default="oss",
        description="Which Kong plugins exist: with oss the router enforces the token "
        "budget and content safety itself (Kong OSS has no plugin for them)",
    )
    timeout: float = Field(default=30.0, gt=0, le=600, description="Seconds per attempt")
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    request_deadline: float = Field(
        default=45.0,
        gt=0,
        le=600,
        description="Seconds for one chat() call across every retry and provider",
    )
    max_connections: int = Field(default=20, ge=1, le=1000, description="Per provider")
    max_keepalive_connections: int = Field(default=10, ge=0, le=1000, description="Per provider")
    features: Features = Features()

    @property
    def key(self) -> str | None:
        """The Kong consumer key in clear, for the request headers only."""
        return _clear(self.api_key)

    @property
    def local_token_limit(self) -> bool:
        """Whether the router enforces features.ai_rate_limiting.token_limit itself."""
        return self.backend == "direct" or self.kong_edition == "oss"

    @property
    def local_request_limit(self) -> bool:
        """Whether the router enforces request_limit (Kong OSS has rate-limiting for it)."""
        return self.backend == "direct"

    @property
    def local_content_safety(self) -> bool:
        """Whether the router runs the content checks (else Kong's plugin does). Local
        rules always run in the router: no Kong plugin knows them."""
        if self.features.content_safety.provider == "local":
            return True
        return self.backend == "direct" or self.kong_edition == "oss"

    @model_validator(mode="after")
    def _kong_needs_url(self) -> RouterSettings:
        if self.backend == "kong" and not self.url:
            raise ValueError(
                "backend 'kong' needs `url` (the Kong proxy, e.g. "
                "${KONG_GATEWAY_URL:-http://localhost:8000}); or set backend: direct"
            )
        return self


class ClientRateLimit(_Strict):
    """Client-side limits for one provider, enforced before a request leaves the process."""

    requests_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    tokens_per_minute: int | None = Field(default=None, ge=1, le=1_000_000_000)
    enforcement: Literal["block", "log"] = "block"


class Price(_Strict):
    """USD per one million tokens."""

    input: float = Field(ge=0, le=100_000)
    output: float = Field(ge=0, le=100_000)


TokenLimitField = Literal["auto", "max_tokens", "max_completion_tokens"]


class ProviderConfig(_Strict):
    name: str = Field(min_length=1)
    type: ProviderType
    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key: SecretStr | None = None
    priority: int = 100
    enabled: bool = True
    timeout: float | None = Field(default=None, gt=0, le=600)
    max_tokens: int | None = Field(
        default=None, ge=1, le=10_000_000, description="Cap on max_tokens"
    )
    max_tokens_field: TokenLimitField = Field(
        default="auto",
        description="How the OpenAI format names the output cap: `auto` sends "
        "`max_completion_tokens` to OpenAI and to reasoning models (o1, o3, o4, gpt-5), "
        "`max_tokens` to other compatible servers",
    )
    anthropic_version: str = "2023-06-01"
    kong_route: str | None = Field(default=None, description="Kong route path (backend: kong)")
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    rate_limit: ClientRateLimit = ClientRateLimit()
    price: Price | None = None

    @property
    def url(self) -> str:
        return (self.base_url or DEFAULT_BASE_URLS.get(self.type, "")).rstrip("/")

    @property
    def key(self) -> str | None:
        """The API key in clear, for the request headers only; None when unset or empty."""
        return _clear(self.api_key)

    def header_values(self) -> dict[str, str]:
        """The extra headers in clear, for the request only."""
        return {name: value.get_secret_value() for name, value in self.headers.items()}

    @model_validator(mode="after")
    def _needs_base_url(self) -> ProviderConfig:
        if self.type == "openai_compatible" and not self.base_url:
            raise ValueError(
                "type 'openai_compatible' needs `base_url` (e.g. http://localhost:11434/v1 "
                "for Ollama, http://localhost:8000/v1 for vLLM)"
            )
        return self


class RetrySettings(_Strict):
    initial_seconds: float = Field(default=0.5, ge=0, le=60)
    max_seconds: float = Field(default=8.0, ge=0, le=300)
    jitter_seconds: float = Field(default=0.5, ge=0, le=60)
    max_retry_after_seconds: float = Field(
        default=30.0, ge=0, le=600, description="Cap on a server's Retry-After before moving on"
    )


class BreakerSettings(_Strict):
    enabled: bool = True
    failure_threshold: int = Field(default=5, ge=1, le=1000)
    cooldown_seconds: float = Field(default=60.0, ge=0, le=3600)


class FallbackSettings(_Strict):
    conditions: list[Condition] = [
        "timeout",
        "connection_error",
        "5xx",
        "rate_limit",
        "malformed_response",
        "llm_error",
    ]
    max_retries_per_provider: int = Field(default=2, ge=0, le=10)
    retry: RetrySettings = RetrySettings()
    circuit_breaker: BreakerSettings = BreakerSettings()


class LLMSettings(_Strict):
    router: RouterSettings = RouterSettings()
    providers: list[ProviderConfig] = Field(min_length=1)
    fallback: FallbackSettings = FallbackSettings()
    prices: dict[str, Price] = Field(
        default_factory=dict, description="Per-model prices overriding the built-in table"
    )

    @model_validator(mode="after")
    def _check_providers(self) -> LLMSettings:
        seen: set[str] = set()
        for provider in self.providers:
            if provider.name in seen:
                raise ValueError(
                    f"duplicate provider name '{provider.name}'; give every provider its own name"
                )
            seen.add(provider.name)
        enabled = [p for p in self.providers if p.enabled]
        if not enabled:
            raise ValueError("no provider is enabled; set `enabled: true` on at least one")
        budget = self.router.features.cost_tracking.budget
        if budget.per_run_usd is not None or budget.per_day_usd is not None:
            from .pricing import price_for  # pricing builds on this module's types

            unpriced = [p.name for p in enabled if price_for(p, self) is None]
            if unpriced:
                raise ValueError(
                    f"a budget is set but provider '{unpriced[0]}' ({self._model_of(unpriced[0])}) "
                    "has no price, so its calls would cost nothing; give it `price: {input: "
                    "..., output: ...}` (USD per 1M tokens) or add its model to `llm.prices`"
                )
        mocks = [p.name for p in enabled if p.type == "mock"]
        if mocks and len(enabled) > len(mocks):
            # A real provider's failures must never be answered by canned text.
            raise ValueError(
                f"the mock provider '{mocks[0]}' is enabled together with real providers; "
                "set `enabled: false` on the mock provider (or on the real ones for offline use)"
            )
        return self

    def _model_of(self, name: str) -> str:
        return next(p.model for p in self.providers if p.name == name)

    @property
    def active_providers(self) -> list[ProviderConfig]:
        """Enabled providers in the order the router tries them."""
        return sorted((p for p in self.providers if p.enabled), key=lambda p: p.priority)


class RouterConfig(_Strict):
    llm: LLMSettings
    source: str = "config/llm_router.yaml"
    # Environment variables each provider's api_key names, for error messages (no values).
    key_variables: dict[str, list[str]] = Field(default_factory=dict)
    # Variables referenced by enabled parts of the config but not set.
    missing_variables: list[str] = Field(default_factory=list)
    # Values to keep out of every message: keys, header values, secret-named variables.
    secrets: tuple[SecretStr, ...] = Field(default=(), repr=False)

    def redactor(self) -> Redactor:
        return Redactor(secret.get_secret_value() for secret in self.secrets)


def _clear(secret: SecretStr | None) -> str | None:
    return (secret.get_secret_value() or None) if secret is not None else None


# ------------------------------------------------------------------------ loading


def _substitute(
    value: Any,
    path: str,
    env: Mapping[str, str],
    missing: list[tuple[str, str]],
    secrets: list[str],
) -> Any:
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            found = env.get(name)
            if found:
                if SECRET_NAME.search(name) or _holds_secret(path):
                    secrets.append(found)
                return found
            if default is not None:
                return default
            missing.append((path, name))
            return ""

        return _VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {k: _substitute(v, f"{path}.{k}", env, missing, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, f"{path}[{i}]", env, missing, secrets) for i, v in enumerate(value)]
    return value


_SECRET_PATH = re.compile(
    r"llm\.(router\.api_key|router\.features\.content_safety\.api_key"
    r"|providers\[\d+\]\.(api_key|headers\..+))"
)


def _holds_secret(path: str) -> bool:
    return _SECRET_PATH.fullmatch(path) is not None


def _literal_secrets(value: Any, path: str, found: list[str]) -> None:
    """api_key and header values written into the file itself (substituted or not)."""
    if isinstance(value, str):
        if _holds_secret(path):
            found.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _literal_secrets(item, f"{path}.{key}", found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _literal_secrets(item, f"{path}[{index}]", found)


def _format_location(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _model_of(annotation: Any) -> Any:
    inner = getattr(annotation, "__args__", None)
    return inner[0] if inner and hasattr(inner[0], "model_fields") else annotation


def _allowed_keys(location: tuple[int | str, ...]) -> list[str]:
    model: Any = LLMSettings
    for part in location[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        model = _model_of(field.annotation)
    if hasattr(model, "model_fields"):
        return sorted(model.model_fields)
    return []


def _field_at(location: tuple[int | str, ...]) -> FieldInfo | None:
    model: Any = LLMSettings
    field: FieldInfo | None = None
    for part in location:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return None
        model = _model_of(field.annotation)
    return field


def _allowed_range(location: tuple[int | str, ...]) -> str:
    """`a whole number from 0 to 10`, `a number above 0 and at most 600`, from the field."""
    field = _field_at(location)
    if field is None:
        return "a value in the allowed range"
    bounds: dict[str, Any] = {}
    for constraint in field.metadata:
        for name in ("ge", "gt", "le", "lt"):
            if getattr(constraint, name, None) is not None:
                bounds[name] = getattr(constraint, name)
    parts: list[str] = []
    if "ge" in bounds:
        parts.append(f"from {bounds['ge']}")
    elif "gt" in bounds:
        parts.append(f"above {bounds['gt']}")
    if "le" in bounds:
        parts.append(f"to {bounds['le']}" if "ge" in bounds else f"at most {bounds['le']}")
    elif "lt" in bounds:
        parts.append(f"below {bounds['lt']}")
    joined = " ".join(parts) if "ge" in bounds else " and ".join(parts)
    whole = int in (field.annotation, *getattr(field.annotation, "__args__", ()))
    return f"{'a whole number' if whole else 'a number'} {joined}"


def _explain(error: dict[str, Any]) -> str:
    location = tuple(error["loc"])
    where = _format_location(location)
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(location))
        return f"{where}: unknown key. Fix: remove it, or use one of: {allowed}"
    if kind == "missing":
        return f"{where}: required key is missing. Fix: add `{location[-1]}`"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"{where}: {error['input']!r} is not allowed. Fix: use one of {expected}"
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{where}: {message}"
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{where}: {error['input']!r} is out of range. Fix: use {_allowed_range(location)}"
    shown = repr(error.get("input"))
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{where}: {error['msg']} (got {shown}). Fix: correct the value"


def parse_config(
    raw: Any,
    *,
    source: str = "config/llm_router.yaml",
    env: Mapping[str, str] | None = None,
    require_env: bool = True,
) -> RouterConfig:
    """Validate an already-parsed YAML document."""
    env = os.environ if env is None else env
    if not isinstance(raw, dict) or "llm" not in raw:
        raise ConfigError(
            f"{source}: the top-level key `llm:` is missing. Fix: start the file with `llm:`"
        )
    unknown_top = sorted(str(key) for key in raw if key != "llm")
    if unknown_top:
        raise ConfigError(
            f"{source}: {unknown_top[0]}: unknown top-level key. Fix: keep only `llm:`"
        )
    missing: list[tuple[str, str]] = []
    secrets: list[str] = []
    substituted = _substitute(raw["llm"], "llm", env, missing, secrets)
    _literal_secrets(substituted, "llm", secrets)
    redact = Redactor(secrets)
    try:
        settings = LLMSettings.model_validate(substituted)
    except ValidationError as error:
        problems = [_explain(dict(item)) for item in error.errors()]
        problems = [p if p.startswith("llm") else f"llm.{p}" for p in problems]
        raise ConfigError(redact(f"{source}: " + f"\n{source}: ".join(problems))) from None

    key_variables: dict[str, list[str]] = {}
    raw_providers = raw["llm"].get("providers") or []
    for index, provider in enumerate(settings.providers):
        raw_key = (
            raw_providers[index].get("api_key") if isinstance(raw_providers[index], dict) else None
        )
        if isinstance(raw_key, str):
            key_variables[provider.name] = [m.group(1) for m in _VARIABLE.finditer(raw_key)]

    # Only the enabled parts of the config need their variables set.
    disabled = {f"llm.providers[{i}]" for i, p in enumerate(settings.providers) if not p.enabled}
    router = settings.router
    if router.backend != "kong":
        disabled.update({"llm.router.url", "llm.router.api_key"})
    safety = router.features.content_safety
    azure_here = safety.enabled and safety.provider == "azure" and router.local_content_safety
    if not azure_here:
        disabled.add("llm.router.features.content_safety")
    needed = [
        (path, name)
        for path, name in missing
        if not any(path == d or path.startswith(d + ".") for d in disabled)
    ]
    if azure_here:
        settings, unset = _azure_from_env(settings, env)
        needed += [("llm.router.features.content_safety", name) for name in unset]
        secrets += [settings.router.features.content_safety.key or ""]
    if needed and require_env:
        lines = [
            f"{path}: environment variable {name} is not set. Fix: set {name} in your "
            "environment or .env (see .env.example), or write `${" + name + ":-default}`"
            for path, name in needed
        ]
        raise ConfigError(f"{source}: " + f"\n{source}: ".join(lines))
    return RouterConfig(
        llm=settings,
        source=source,
        key_variables=key_variables,
        missing_variables=sorted({name for _, name in needed}),
        secrets=tuple(SecretStr(secret) for secret in dict.fromkeys(secrets) if secret),
    )


AZURE_ENDPOINT_ENV = "AZURE_CONTENT_SAFETY_ENDPOINT"
AZURE_KEY_ENV = "AZURE_CONTENT_SAFETY_KEY"


def _azure_from_env(settings: LLMSettings, env: Mapping[str, str]) -> tuple[LLMSettings, list[str]]:
    """Fill content_safety's Azure endpoint and key from the environment when the file
    leaves them out; return the settings and the variables still unset."""
    safety = settings.router.features.content_safety
    update: dict[str, Any] = {}
    unset: list[str] = []
    if not safety.endpoint:
        if env.get(AZURE_ENDPOINT_ENV):
            update["endpoint"] = env[AZURE_ENDPOINT_ENV]
        else:
            unset.append(AZURE_ENDPOINT_ENV)
    if not safety.key:
        if env.get(AZURE_KEY_ENV):
            update["api_key"] = SecretStr(env[AZURE_KEY_ENV])
        else:
            unset.append(AZURE_KEY_ENV)
    if not update:
        return settings, unset
    features = settings.router.features.model_copy(
        update={"content_safety": safety.model_copy(update=update)}
    )
    router = settings.router.model_copy(update={"features": features})
    return settings.model_copy(update={"router": router}), unset


def load_config(
    path: str | Path,
    *,
    env: Mapping[str, str] | None = None,
    require_env: bool = True,
) -> RouterConfig:
    """Read, substitute and validate a router config file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: file not found. Fix: create it with `restack g llm-config`, or point "
            "LLM_ROUTER_CONFIG at your config"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text. Fix: save the file as UTF-8") from None
    except OSError as error:
        raise ConfigError(
            f"{file}: cannot be read ({error.strerror}). Fix: check the path"
        ) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{file}: not valid YAML{where}. Fix: correct the syntax") from None
    return parse_config(raw, source=str(file), env=env, require_env=require_env)
