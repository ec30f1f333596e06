# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""deploy/kong/kong.yaml, built from config/llm_router.yaml, and the check that they agree.

With `backend: kong` the router sends each provider's calls to `router.url` + its
`kong_route`, in the OpenAI format; Kong must have a route at that path whose `ai-proxy`
plugin calls the same provider and model. Written by hand, the two files drift apart,
so `restack g kong-config` derives the gateway's declarative config (decK's format,
which Kong also reads itself in DB-less mode) from the router's, and `compare()` lets
`restack doctor --check-llm` name every difference.

What goes into the file, and the Kong facts it relies on. The open-source parts
(ai-proxy, rate-limiting, prometheus, key-auth, the env vault, the declarative format)
were checked against the source of Kong Gateway 3.9.3, the last open-source release;
the Enterprise plugins (ai-rate-limiting-advanced, ai-azure-content-safety) against the
plugin schemas and guides Kong publishes. No real Kong runs in the tests: they use a
loopback server that answers as Kong does (`testing.FakeLLMServer("kong", routes=...)`).

- one service and one route per enabled provider (the mock stays in the router), the
  route's path being the provider's `kong_route`;
- on each route an `ai-proxy` plugin (`route_type: llm/v1/chat`): `model.provider`
  (`openai_compatible` is Kong's `openai` with `options.upstream_url`, the full URL of
  the server's chat completions endpoint), `model.name`, `max_tokens`,
  `anthropic_version`, `input_cost`/`output_cost` in USD per 1M tokens (Kong requires
  them above 0, so unpriced models have none) and `logging.log_statistics`;
- provider keys only as Kong vault references: `{vault://env/openai-auth-header}` reads
  the environment variable OPENAI_AUTH_HEADER (the env vault upper-cases the name and
  turns `-` into `_`). A reference must be a field's whole value, so OpenAI's
  `Authorization` header needs a variable holding `Bearer <key>`; docker-compose.yml
  builds it from OPENAI_API_KEY;
- the global `prometheus` plugin with `ai_metrics: true` (token, cost and latency
  metrics per provider and model on Kong's status port, at /metrics);
- `features.ai_rate_limiting`: request_limit as the `rate-limiting` plugin (in Kong OSS
  and Enterprise; fixed windows); token_limit as `ai-rate-limiting-advanced`, which only
  Kong Enterprise has; with `kong_edition: oss` the router keeps the token limit;
- `features.content_safety` with `provider: azure` and Kong Enterprise as
  `ai-azure-content-safety` (its URL is the `/contentsafety/text:analyze` endpoint);
- `key-auth` and a consumer when `router.api_key` has a value. Kong cannot read a
  consumer's key from a vault (the key-auth credential's `key` field is not
  referenceable), so the file holds no credential: add it as docs/kong.md shows.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from .config import DEFAULT_BASE_URLS, WINDOW_SECONDS, ProviderConfig, RouterConfig
from .errors import ConfigError
from .pricing import price_for

KONG_FILE = "deploy/kong/kong.yaml"
ROUTER_FILE = "config/llm_router.yaml"
REGENERATE = "restack g kong-config --force"
FORMAT_VERSION = "3.0"
CONSUMER = "restack-router"

# Kong's ai-proxy speaks the OpenAI format to the router whatever the upstream is.
_KONG_PROVIDER = {"openai": "openai", "openai_compatible": "openai", "anthropic": "anthropic"}
# The path ai-proxy appends to Kong's own default host for each provider.
_CHAT_PATHS = {"openai": "/chat/completions", "anthropic": "/v1/messages"}
# The variable a provider's key is read from when config/llm_router.yaml names none.
_DEFAULT_KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
# Azure AI Content Safety's names for the router's categories, and the severities of its
# FourSeverityLevels output (0, 2, 4, 6) from which a text is refused.
_AZURE_CATEGORIES = {
    "violence": "Violence",
    "hate": "Hate",
    "sexual": "Sexual",
    "self-harm": "SelfHarm",
}
_REJECTION_LEVELS = {"low": 2, "medium": 4, "high": 6}
_NAME = re.compile(r"[^A-Za-z0-9._~-]+")


def route_path(provider: ProviderConfig) -> str:
    """The path the router calls for `provider` (its kong_route, else /<name>/chat)."""
    route = provider.kong_route or f"/{provider.name}/chat"
    return "/" + route.lstrip("/")


NO_ROUTE = "no Route matched"


def route_missing(status: int, body: str) -> bool:
    """Whether an answer is Kong saying it has no route for the path (404 with the
    message `no Route matched with those values`)."""
    return status == 404 and NO_ROUTE in body


def routed_providers(config: RouterConfig) -> list[ProviderConfig]:
    """The providers that become Kong routes: every enabled one but the offline mock."""
    return [p for p in config.llm.active_providers if p.type != "mock"]


def vault_reference(variable: str) -> str:
    """`{vault://env/openai-api-key}`: Kong reads OPENAI_API_KEY from its environment."""
    return "{vault://env/" + variable.lower().replace("_", "-") + "}"


def key_variable(provider: ProviderConfig, config: RouterConfig) -> str | None:
    """The environment variable holding the provider's key: the one its `api_key` names
    in config/llm_router.yaml, else OPENAI_API_KEY / ANTHROPIC_API_KEY by type."""
    named = config.key_variables.get(provider.name)
    if named:
        return named[0]
    return _DEFAULT_KEY_VARIABLES.get(provider.type)


def bearer_variable(key: str) -> str:
    """The variable holding `Bearer <key>` for an OpenAI-format provider whose key is in
    `key` (OPENAI_API_KEY -> OPENAI_AUTH_HEADER)."""
    return re.sub(r"(_API)?_KEY$", "", key) + "_AUTH_HEADER"


def _name(text: str) -> str:
    return _NAME.sub("-", text).strip("-") or "llm"


def _auth(provider: ProviderConfig, config: RouterConfig) -> tuple[dict[str, str] | None, str]:
    """ai-proxy's `auth` block and a line saying which variable Kong reads."""
    key = key_variable(provider, config)
    if key is None:  # e.g. a local OpenAI-compatible server that takes no key
        return None, ""
    if provider.type == "anthropic":
        return {"header_name": "x-api-key", "header_value": vault_reference(key)}, key
    header = bearer_variable(key)
    auth = {"header_name": "Authorization", "header_value": vault_reference(header)}
    return auth, f'{header}  ("Bearer " + ${key})'


def _upstream_url(provider: ProviderConfig) -> str | None:
    """The full chat URL when the provider is not at Kong's default host for its type."""
    if provider.type == "openai_compatible":
        return provider.url + _CHAT_PATHS["openai"]
    default = DEFAULT_BASE_URLS.get(provider.type, "").rstrip("/")
    if provider.base_url and provider.url != default:
        return provider.url + _CHAT_PATHS[provider.type]
    return None


def _ai_proxy(provider: ProviderConfig, config: RouterConfig) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if provider.max_tokens is not None:
        options["max_tokens"] = provider.max_tokens
    if provider.type == "anthropic":
        options["anthropic_version"] = provider.anthropic_version
    price = price_for(provider, config.llm)
    if price is not None and price.input > 0:
        options["input_cost"] = price.input
    if price is not None and price.output > 0:
        options["output_cost"] = price.output
    upstream = _upstream_url(provider)
    if upstream:
        options["upstream_url"] = upstream
    model: dict[str, Any] = {"provider": _KONG_PROVIDER[provider.type], "name": provider.model}
    if options:
        model["options"] = options
    plugin: dict[str, Any] = {"route_type": "llm/v1/chat"}
    auth, _ = _auth(provider, config)
    if auth:
        plugin["auth"] = auth
    plugin["model"] = model
    plugin["logging"] = {"log_statistics": True}
    return {"name": "ai-proxy", "config": plugin}


def _check_routes(providers: list[ProviderConfig]) -> None:
    seen: dict[str, str] = {}
    for provider in providers:
        path = route_path(provider)
        if path in seen:
            raise ConfigError(
                f"{ROUTER_FILE}: providers '{seen[path]}' and '{provider.name}' both use "
                f"kong_route {path}; a Kong route serves one provider and model",
                fix="Give each provider its own kong_route (e.g. /<provider>/chat).",
            )
        seen[path] = provider.name


def _rate_limit_plugins(config: RouterConfig, kong_providers: list[str]) -> list[dict[str, Any]]:
    router = config.llm.router
    limits = router.features.ai_rate_limiting
    if not limits.enabled or limits.enforcement == "log":
        return []
    plugins: list[dict[str, Any]] = []
    if limits.request_limit is not None and not router.local_request_limit:
        # One global plugin: its counters are shared by every route, per consumer (or
        # per client IP without key-auth), in this Kong node's memory (policy local).
        plugins.append(
            {
                "name": "rate-limiting",
                "config": {limits.window: limits.request_limit, "policy": "local"},
            }
        )
    if limits.token_limit is not None and not router.local_token_limit and kong_providers:
        window = int(WINDOW_SECONDS[limits.window])
        plugins.append(
            {
                "name": "ai-rate-limiting-advanced",
                "config": {
                    "llm_providers": [
                        {"name": name, "limit": [limits.token_limit], "window_size": [window]}
                        for name in kong_providers
                    ],
                    "window_type": limits.strategy,
                },
            }
        )
    return plugins


def _content_safety_plugin(config: RouterConfig) -> dict[str, Any] | None:
    router = config.llm.router
    safety = router.features.content_safety
    if not safety.enabled or router.local_content_safety or safety.provider != "azure":
        return None
    if safety.endpoint:
        url = safety.endpoint.rstrip("/") + "/contentsafety/text:analyze"
    else:
        url = vault_reference("AZURE_CONTENT_SAFETY_URL")
    lowest = min(_REJECTION_LEVELS[severity] for severity in safety.block_on)
    plugin: dict[str, Any] = {
        "content_safety_url": url,
        "content_safety_key": vault_reference("AZURE_CONTENT_SAFETY_KEY"),
        "categories": [
            {"name": _AZURE_CATEGORIES[name], "rejection_level": lowest} for name in safety.filters
        ],
    }
    if "output" in safety.check:  # INPUT is the plugin's default and its only mode before 3.12
        plugin["guarding_mode"] = "BOTH" if "input" in safety.check else "OUTPUT"
    return {"name": "ai-azure-content-safety", "config": plugin}


def kong_document(config: RouterConfig) -> dict[str, Any]:
    """The declarative config (decK format 3.0) for the router's settings."""
    providers = routed_providers(config)
    _check_routes(providers)
    router = config.llm.router
    services: list[dict[str, Any]] = []
    for provider in providers:
        name = _name(provider.name)
        services.append(
            {
                "name": name,
                # ai-proxy sends each request to the provider itself; the service's URL is
                # where that is, for people and tools reading the config.
                "url": provider.url or DEFAULT_BASE_URLS["openai"],
                "routes": [
                    {
                        "name": name,
                        "paths": [route_path(provider)],
                        "plugins": [_ai_proxy(provider, config)],
                    }
                ],
            }
        )
    plugins: list[dict[str, Any]] = [{"name": "prometheus", "config": {"ai_metrics": True}}]
    kong_providers = list(dict.fromkeys(_KONG_PROVIDER[p.type] for p in providers))
    plugins += _rate_limit_plugins(config, kong_providers)
    safety = _content_safety_plugin(config)
    if safety is not None:
        plugins.append(safety)
    document: dict[str, Any] = {"_format_version": FORMAT_VERSION, "services": services}
    if router.key:
        plugins.append(
            {
                "name": "key-auth",
                "config": {"key_names": [router.api_key_header], "hide_credentials": True},
            }
        )
        document["consumers"] = [{"username": CONSUMER}]
    document["plugins"] = plugins
    return document


def kong_notes(config: RouterConfig) -> list[str]:
    """What the file leaves to the router or to the reader, as comment lines."""
    router = config.llm.router
    notes: list[str] = []
    if not routed_providers(config):
        notes.append(
            f"No provider is routed through Kong: enable one in {ROUTER_FILE} (and turn "
            f"the mock off), then run `{REGENERATE}`."
        )
    limits = router.features.ai_rate_limiting
    if limits.enabled and limits.enforcement == "log":
        notes.append(
            "ai_rate_limiting.enforcement is log: Kong's rate-limiting plugins can only "
            "refuse requests, so none is written here."
        )
    elif limits.enabled:
        if limits.token_limit is not None and router.local_token_limit:
            notes.append(
                f"token_limit ({limits.token_limit} per {limits.window}) is enforced by the "
                "router itself, per worker process: Kong OSS has no token-based rate "
                "limiting (ai-rate-limiting-advanced needs kong_edition: enterprise)."
            )
        if limits.token_limit is not None and not router.local_token_limit:
            notes.append(
                "ai-rate-limiting-advanced counts tokens per provider: each provider below "
                f"gets the whole token_limit ({limits.token_limit} per {limits.window})."
            )
        if limits.request_limit is not None and limits.strategy == "sliding":
            notes.append(
                "rate-limiting counts requests in fixed windows (strategy: sliding applies "
                "to the token limit only)."
            )
    safety = router.features.content_safety
    if safety.enabled and router.local_content_safety:
        notes.append(
            f"content_safety (provider {safety.provider}) runs in the router: "
            + (
                "no Kong plugin applies its local rules."
                if safety.provider == "local"
                else "Kong OSS has no plugin for it."
            )
        )
    elif safety.enabled and "output" in safety.check:
        notes.append("ai-azure-content-safety checks answers (guarding_mode) from Kong 3.12.")
    if router.key:
        notes.append(
            f"key-auth: Kong cannot read a consumer key from a vault, so the consumer "
            f"{CONSUMER} has no credential here; add it as docs/kong.md shows."
        )
    return notes


def _variables(config: RouterConfig) -> list[str]:
    lines: list[str] = []
    for provider in routed_providers(config):
        _, line = _auth(provider, config)
        if line and line not in lines:
            lines.append(line)
    router = config.llm.router
    safety = router.features.content_safety
    if _content_safety_plugin(config) is not None:
        if not safety.endpoint:
            lines.append(
                "AZURE_CONTENT_SAFETY_URL  ($AZURE_CONTENT_SAFETY_ENDPOINT + "
                "/contentsafety/text:analyze)"
            )
        lines.append("AZURE_CONTENT_SAFETY_KEY")
    return lines


def _comment(lines: Iterable[str], width: int = 88) -> str:
    """Comment lines, wrapped; a line's leading spaces (or "- ") indent its continuation."""
    out: list[str] = []
    for line in lines:
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body))
        follow = indent + ("  " if body.startswith("- ") else "")
        wrapped = textwrap.wrap(
            body,
            width - 2,
            initial_indent=indent,
            subsequent_indent=follow,
            break_long_words=False,
            break_on_hyphens=False,
        )
        out += [f"# {text}" for text in wrapped] or ["#"]
    return "\n".join(out) + "\n"


def kong_yaml(config: RouterConfig, source: str = ROUTER_FILE) -> str:
    """The text of deploy/kong/kong.yaml: a header comment, then the document."""
    document = kong_document(config)
    header = [
        f"Kong AI Gateway configuration (decK format {FORMAT_VERSION}), generated from "
        f"{source} by `restack g kong-config`. Change {source} and run `{REGENERATE}` "
        "rather than editing this file; `restack doctor --check-llm` reports any "
        "difference between the two (docs/kong.md).",
        "",
        "Load it with `docker compose --profile kong up` (Kong without a database reads "
        "it through KONG_DECLARATIVE_CONFIG), or `deck gateway sync` against a Kong that "
        "has one.",
    ]
    variables = _variables(config)
    if variables:
        header += [
            "",
            "No secret is written here: Kong reads them from its environment "
            "({vault://env/name-of-variable} is $NAME_OF_VARIABLE):",
            *(f"  {line}" for line in variables),
        ]
    notes = kong_notes(config)
    if notes:
        header += ["", "Notes:", *(f"- {note}" for note in notes)]
    body = yaml.safe_dump(document, sort_keys=False, default_flow_style=False, width=88)
    return _comment(header) + "\n" + body


# ------------------------------------------------------------------ comparing


def _plugins(entity: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = entity.get("plugins")
    return [p for p in found if isinstance(p, Mapping)] if isinstance(found, list) else []


def _entities(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _routes(document: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], Mapping[str, Any]]]:
    """Every route with the ai-proxy plugin that applies to it ({} when none)."""
    top_level = _plugins(document)
    found: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []

    def proxy_for(route: Mapping[str, Any], service: Mapping[str, Any]) -> Mapping[str, Any]:
        scoped = [
            *_plugins(route),
            *(p for p in top_level if p.get("route") == route.get("name")),
            *_plugins(service),
            *(p for p in top_level if service and p.get("service") == service.get("name")),
        ]
        return next((p for p in scoped if p.get("name") == "ai-proxy"), {})

    services = _entities(document.get("services"))
    by_name = {service.get("name"): service for service in services}
    for service in services:
        for route in _entities(service.get("routes")):
            found.append((route, proxy_for(route, service)))
    for route in _entities(document.get("routes")):
        service = by_name.get(route.get("service")) or {}
        found.append((route, proxy_for(route, service)))
    return found


def _paths(route: Mapping[str, Any]) -> list[str]:
    paths = route.get("paths")
    return [p for p in paths if isinstance(p, str)] if isinstance(paths, list) else []


def _served(proxy: Mapping[str, Any]) -> tuple[str | None, str | None]:
    config = proxy.get("config")
    model = config.get("model") if isinstance(config, Mapping) else None
    if not isinstance(model, Mapping):
        return None, None
    provider, name = model.get("provider"), model.get("name")
    return (
        provider if isinstance(provider, str) else None,
        name if isinstance(name, str) else None,
    )


def _all_plugins(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    plugins = list(_plugins(document))
    for service in _entities(document.get("services")):
        plugins += _plugins(service)
        for route in _entities(service.get("routes")):
            plugins += _plugins(route)
    for route in _entities(document.get("routes")):
        plugins += _plugins(route)
    return plugins


def _limits(document: Mapping[str, Any]) -> dict[str, str]:
    """The rate limits a document sets, in words: {'requests': ..., 'tokens': ...}."""
    described: dict[str, str] = {}
    for plugin in _all_plugins(document):
        config = plugin.get("config")
        if not isinstance(config, Mapping):
            continue
        if plugin.get("name") == "rate-limiting":
            windows = ("second", "minute", "hour", "day", "month", "year")
            parts = [f"{config[w]:g} per {w}" for w in windows if _number(config.get(w))]
            described["requests"] = ", ".join(parts) or "none"
        elif plugin.get("name") == "ai-rate-limiting-advanced":
            parts = []
            for entry in _entities(config.get("llm_providers")):
                limits, sizes = entry.get("limit"), entry.get("window_size")
                if not isinstance(limits, list) or not isinstance(sizes, list):
                    continue
                parts += [
                    f"{entry.get('name')} {limit:g} per {size:g}s"
                    for limit, size in zip(limits, sizes, strict=False)
                    if _number(limit) and _number(size)
                ]
            window = config.get("window_type", "sliding")
            described["tokens"] = f"{', '.join(parts) or 'none'} ({window} window)"
    return described


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def compare(config: RouterConfig, document: Any) -> list[str]:
    """Every way an existing kong.yaml disagrees with config/llm_router.yaml, one message
    each, naming both files and the fix. Empty when they agree."""
    fix = f"Fix: `{REGENERATE}` rewrites {KONG_FILE} from {ROUTER_FILE}."
    if not isinstance(document, Mapping):
        return [f"{KONG_FILE} is not a Kong declarative config (no mapping at the top). {fix}"]
    routes = _routes(document)
    problems: list[str] = []
    used: set[str] = set()
    for provider in routed_providers(config):
        path = route_path(provider)
        used.add(path)
        matching = [(route, proxy) for route, proxy in routes if path in _paths(route)]
        if not matching:
            problems.append(
                f"{ROUTER_FILE}: provider '{provider.name}' calls Kong at {path}, but "
                f"{KONG_FILE} has no route with that path. {fix}"
            )
            continue
        route, proxy = matching[0]
        wanted = (_KONG_PROVIDER[provider.type], provider.model)
        if not proxy:
            problems.append(
                f"{KONG_FILE}: route '{route.get('name', path)}' ({path}) has no ai-proxy "
                f"plugin, but {ROUTER_FILE}'s provider '{provider.name}' expects "
                f"{wanted[0]}/{wanted[1]} there. {fix}"
            )
            continue
        kind, model = _served(proxy)
        # ai-proxy without model.name serves whatever model the request names, which is
        # the router's: only a different name (or provider) disagrees.
        if kind != wanted[0] or (model is not None and model != wanted[1]):
            served = f"{kind}/{model}" if model else f"{kind} (model from the request)"
            problems.append(
                f"{KONG_FILE}: route '{route.get('name', path)}' ({path}) sends to {served}, "
                f"but {ROUTER_FILE}'s provider '{provider.name}' is {wanted[0]}/{wanted[1]}. "
                f"{fix}"
            )
    for route, _ in routes:
        paths = _paths(route)
        if not any(path in used for path in paths):
            shown = ", ".join(paths) or "no path"
            problems.append(
                f"{KONG_FILE}: route '{route.get('name', shown)}' ({shown}) is used by no "
                f"enabled provider of {ROUTER_FILE}. {fix}"
            )
    wanted_limits = _limits(kong_document(config))
    found_limits = _limits(document)
    for kind in ("requests", "tokens"):
        if wanted_limits.get(kind) != found_limits.get(kind):
            problems.append(
                f"{KONG_FILE} limits {kind} to {found_limits.get(kind, 'no limit')}, but "
                f"{ROUTER_FILE} asks Kong for {wanted_limits.get(kind, 'no limit')}. {fix}"
            )
    return problems


__all__ = [
    "KONG_FILE",
    "compare",
    "kong_document",
    "kong_notes",
    "kong_yaml",
    "route_missing",
    "route_path",
    "routed_providers",
    "vault_reference",
]
