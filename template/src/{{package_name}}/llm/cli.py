# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""LLM commands: `restack g llm-config`, `restack g kong-config`, `restack test:llm
[--dry-run]`, doctor's LLM checks.

Every `restack` command imports this module to list these commands, so the router's
config models (pydantic) are imported by the commands that use them: `restack --help`
and the other components' commands start without them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from ..cli.changes import Force, Pretend, Skip, carry_out, change, summary, write_options
from ..cli.checks import Check
from ..cli.components import Component
from ..cli.console import console, fail
from ..common.settings import load_env, project_root
from .errors import ConfigError, LLMError
from .starter import starter_config

if TYPE_CHECKING:
    from .config import RouterConfig

PROBE_PROMPT = "Reply with the single word: OK"


def mask(secret: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    return "*" * len(secret) if len(secret) < 12 else f"{secret[:3]}...{secret[-4:]}"


def llm_config(
    kong: bool = typer.Option(
        False,
        "--kong",
        help="Route every call through Kong AI Gateway; also writes deploy/kong/kong.yaml",
    ),
    direct: bool = typer.Option(False, "--direct", help="Call the providers directly (default)"),
    mock: bool = typer.Option(
        True,
        "--mock/--no-mock",
        help="Offline mock provider on and real providers written off, as in a new project "
        "(default); --no-mock turns the real providers on",
    ),
    force: Force = False,
    skip: Skip = False,
    pretend: Pretend = False,
) -> None:
    """Write config/llm_router.yaml, and with --kong deploy/kong/kong.yaml to match (an
    existing different file is kept unless --force)."""
    from .config import parse_config
    from .kong import KONG_FILE, kong_yaml

    options = write_options(force, skip, pretend)
    if kong and direct:
        fail("Choose one of --kong and --direct.", code=2)
    root = project_root()
    text = starter_config("kong" if kong else "direct", mock=mock)
    changes = [change(root, "config/llm_router.yaml", text)]
    if kong:
        starter = parse_config(yaml.safe_load(text), require_env=False)
        changes.append(change(root, KONG_FILE, kong_yaml(starter)))
    decided = carry_out(root, changes, options)
    unchanged = summary(decided, options)
    if unchanged:
        console.print(unchanged)
    if unchanged or options.pretend:
        return
    if mock:
        console.print(
            "The offline mock provider answers; when you are ready, enable a real provider "
            "in the file, set its key in .env and check with `restack doctor --check-llm`."
            + (" Then `restack g kong-config --force` gives Kong its route." if kong else "")
        )
        return
    if kong:
        console.print(
            "Set OPENAI_API_KEY and ANTHROPIC_API_KEY in .env (Kong reads them), start Kong "
            "with `docker compose --profile kong up -d`, then check with "
            "`restack doctor --check-llm`."
        )
        return
    console.print(
        "Set OPENAI_API_KEY and ANTHROPIC_API_KEY in .env, then check with "
        "`restack doctor --check-llm`."
    )


def kong_config(force: Force = False, skip: Skip = False, pretend: Pretend = False) -> None:
    """Write deploy/kong/kong.yaml (Kong's routes, plugins and limits) from
    config/llm_router.yaml; run it again after changing the router's providers."""
    from .config import default_config_path, load_config
    from .kong import KONG_FILE, kong_yaml

    options = write_options(force, skip, pretend)
    root = project_root()
    path = default_config_path()
    try:
        config = load_config(path, require_env=False)
        text = kong_yaml(config, source=_shown(path, root))
    except ConfigError as error:
        fail("; ".join(str(error).splitlines()), fix=error.fix or _config_fix(path), code=2)
    decided = carry_out(root, [change(root, KONG_FILE, text)], options)
    unchanged = summary(decided, options)
    if unchanged:
        console.print(unchanged)
    if config.llm.router.backend != "kong":
        console.print(
            f"Note: {path.name} says backend: {config.llm.router.backend}, so the router "
            "does not use Kong until you set backend: kong (and url) there."
        )
    elif not unchanged and not options.pretend:
        console.print(
            "Kong reads the file when it starts: `docker compose --profile kong restart kong`, "
            "then `restack doctor --check-llm`."
        )


def _shown(path: Path, root: Path) -> str:
    """`path` relative to the project when it is inside it (for messages and comments)."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def test_llm(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="No network: estimated prompt tokens and cost per provider"
    ),
    prompt: str = typer.Option(PROBE_PROMPT, help="The prompt to send"),
) -> None:
    """Send one tiny request to every enabled provider; print status and latency."""
    from .config import default_config_path, load_config
    from .models import LLMRequest, estimate_prompt_tokens
    from .pricing import cost_usd, price_for

    config = load_config(default_config_path(), require_env=not dry_run)
    request = LLMRequest(
        messages=[{"role": "user", "content": prompt}], temperature=0, max_tokens=5
    )
    table = Table(box=None, header_style="bold")
    if dry_run:
        tokens = estimate_prompt_tokens(request)
        for column in ("Provider", "Type", "Model", "Prompt tokens", "Max cost (USD)"):
            table.add_column(column)
        for provider in config.llm.active_providers:
            price = price_for(provider, config.llm)
            cost = cost_usd(price, tokens, request.max_tokens)
            shown = f"{cost:.8f}" if price is not None else "unpriced (add `price:`)"
            table.add_row(provider.name, provider.type, provider.model, str(tokens), shown)
        console.print(table)
        console.print("Estimates only (about 4 characters per token); nothing was sent.")
        return

    import httpx

    from .providers import build_provider

    redact = config.redactor()

    async def probe_all() -> list[tuple[str, str, str, str, str]]:
        rows = []
        router = config.llm.router
        timeout = httpx.Timeout(router.timeout, connect=router.connect_timeout)
        async with httpx.AsyncClient(timeout=timeout) as client:
            for entry in config.llm.active_providers:
                variables = config.key_variables.get(entry.name)
                provider = build_provider(entry, router, variables, redact)
                started = time.perf_counter()
                try:
                    reply = await provider.complete(client, request)
                except LLMError as error:
                    status, detail = "[red]fail[/]", f"{error.error_type.value}: {error.message}"
                else:
                    status, detail = "[green]ok[/]", repr(reply.content[:40])
                latency = f"{(time.perf_counter() - started) * 1000:.0f} ms"
                rows.append((entry.name, entry.model, status, latency, escape(redact(detail))))
        return rows

    rows = asyncio.run(probe_all())
    for column in ("Provider", "Model", "Status", "Latency", "Detail"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if any("fail" in row[2] for row in rows):
        raise typer.Exit(1)


def llm_checks() -> Iterable[Check]:
    """`restack doctor --check-llm`: config valid, keys present (masked), providers reachable."""
    from .config import default_config_path, load_config

    path = default_config_path()
    try:
        config = load_config(path, require_env=False)
    except ConfigError as error:
        yield Check("LLM", "config", "fail", str(error).splitlines()[0], _config_fix(path))
        return
    yield Check("LLM", "config", "ok", f"{path.name} valid, backend {config.llm.router.backend}")
    missing = set(config.missing_variables)
    for entry in config.llm.active_providers:
        variables = config.key_variables.get(entry.name, [])
        if entry.type == "mock":
            yield Check("LLM", entry.name, "ok", "mock provider (offline, no key)")
            continue
        if config.llm.router.backend == "direct" and variables:
            absent = [name for name in variables if name in missing]
            if absent:
                yield Check(
                    "LLM",
                    f"{entry.name} key",
                    "fail",
                    f"{', '.join(absent)} is not set",
                    f"Add {absent[0]}=... to .env (see .env.example).",
                )
            elif entry.key:
                yield Check("LLM", f"{entry.name} key", "ok", f"{variables[0]}={mask(entry.key)}")
    if config.llm.router.backend == "kong":
        yield from _kong_file_checks(config)
    reachability = list(_reachability(config))
    yield from reachability
    if config.llm.router.backend == "kong" and all(c.status == "ok" for c in reachability):
        yield from _kong_route_checks(config)
    yield from _feature_checks(config)


def _config_fix(path: Path) -> str:
    if not path.exists():
        return "Create it with `restack g llm-config` (or set LLM_ROUTER_CONFIG)."
    return f"Correct {path.name} as the message says; `restack g llm-config --force` rewrites it."


def _reachability(config: RouterConfig) -> Iterable[Check]:
    router = config.llm.router
    targets: dict[str, str] = {}
    if router.backend == "kong":
        targets["kong gateway"] = str(router.url)
    else:
        for entry in config.llm.active_providers:
            if entry.type != "mock":
                targets[f"{entry.name} reachable"] = entry.url

    import httpx

    async def probe(url: str) -> str | None:
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                await client.get(url)  # any HTTP answer proves the host is reachable
        except httpx.HTTPError as error:
            return f"{type(error).__name__}"
        return None

    redact = config.redactor()
    for name, url in targets.items():
        problem = asyncio.run(probe(url))
        shown = redact(url)
        if problem is None:
            yield Check("LLM", name, "ok", shown)
        else:
            fix = (
                "Start Kong with `docker compose --profile kong up -d`, or point "
                "KONG_GATEWAY_URL (router.url) at your gateway (docs/kong.md)."
                if router.backend == "kong"
                else "Check base_url in config/llm_router.yaml, the network, or start the server."
            )
            yield Check("LLM", name, "fail", f"{shown} not reachable ({problem})", fix)


def _kong_file_checks(config: RouterConfig) -> Iterable[Check]:
    """deploy/kong/kong.yaml exists and says what config/llm_router.yaml says."""
    from .kong import KONG_FILE, compare

    target = project_root() / KONG_FILE
    regenerate = f"`restack g kong-config` writes {KONG_FILE} from config/llm_router.yaml."
    if not target.is_file():
        yield Check(
            "LLM",
            "kong.yaml",
            "warn",
            f"{KONG_FILE} not found (Kong's routes for config/llm_router.yaml)",
            f"{regenerate} Ignore this if your Kong is configured elsewhere (docs/kong.md).",
        )
        return
    try:
        document = yaml.safe_load(target.read_text(encoding="utf-8"))
        problems = compare(config, document)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        reason = type(error).__name__
        yield Check(
            "LLM",
            "kong.yaml",
            "warn",
            f"{KONG_FILE} cannot be read ({reason})",
            f"{regenerate} (--force replaces it).",
        )
        return
    except ConfigError as error:
        yield Check("LLM", "kong.yaml", "warn", str(error), error.fix)
        return
    if not problems:
        yield Check("LLM", "kong.yaml", "ok", f"{KONG_FILE} agrees with config/llm_router.yaml")
    for problem in problems:
        detail, _, fix = problem.partition(" Fix: ")
        yield Check("LLM", "kong.yaml", "warn", detail, fix)


def _kong_route_checks(config: RouterConfig) -> Iterable[Check]:
    """POST `{}` to every provider's route: Kong answers 404 "no Route matched" when the
    route is missing; any other answer means it exists (ai-proxy refuses the empty body
    with a 400 of its own, so nothing reaches the provider)."""
    import httpx

    from .kong import KONG_FILE, route_missing, route_path, routed_providers

    router = config.llm.router
    base = str(router.url).rstrip("/")
    headers = {router.api_key_header: router.key} if router.key else {}
    paths = list(dict.fromkeys(route_path(p) for p in routed_providers(config)))

    async def probe_all() -> list[tuple[str, int | str, str]]:
        answers: list[tuple[str, int | str, str]] = []
        async with httpx.AsyncClient(timeout=5) as client:
            for path in paths:
                try:
                    response = await client.post(base + path, json={}, headers=headers)
                except httpx.HTTPError as error:
                    answers.append((path, type(error).__name__, ""))
                else:
                    answers.append((path, response.status_code, response.text[:300]))
        return answers

    redact = config.redactor()
    for path, status, body in asyncio.run(probe_all()):
        name = f"kong route {path}"
        if isinstance(status, str):
            yield Check("LLM", name, "fail", f"no answer ({status})", "Check that Kong is up.")
        elif route_missing(status, body):
            yield Check(
                "LLM",
                name,
                "fail",
                f"Kong has no route at {path} (404 no Route matched)",
                f"Load {KONG_FILE} into Kong: `docker compose --profile kong restart kong` "
                "(after `restack g kong-config` if the file lacks it).",
            )
        elif status in (401, 403):
            refused = "refused the key in KONG_API_KEY" if router.key else "asks for a key"
            yield Check(
                "LLM",
                name,
                "warn",
                f"route exists, but Kong {refused} (HTTP {status})",
                "Set KONG_API_KEY to a key of a Kong consumer (docs/kong.md).",
            )
        else:
            yield Check("LLM", name, "ok", f"route exists (HTTP {status}: {redact(body[:80])})")


def _feature_checks(config: RouterConfig) -> Iterable[Check]:
    """One line per enabled feature: who enforces it, the router or a Kong plugin."""
    router = config.llm.router
    features = router.features
    per_worker = "router (per worker process)"
    limits = features.ai_rate_limiting
    if limits.enabled:
        budgets = [
            (
                "token_limit",
                limits.token_limit,
                router.local_token_limit,
                "ai-rate-limiting-advanced",
            ),
            ("request_limit", limits.request_limit, router.local_request_limit, "rate-limiting"),
        ]
        for key, value, local, plugin in budgets:
            if value is None:
                continue
            what = f"{key} {value} per {limits.window}"
            if local:
                yield Check(
                    "LLM",
                    f"rate limit: {key}",
                    "warn",
                    f"{what}: enforced by the {per_worker}; N workers allow N times as much",
                    _kong_for(key),
                )
            elif limits.enforcement == "log":
                yield Check(
                    "LLM",
                    f"rate limit: {key}",
                    "warn",
                    f"{what}: enforcement log, but with Kong neither the router nor Kong "
                    "counts it (Kong's plugins can only refuse)",
                    "Use enforcement: block to let Kong's plugin refuse calls over the limit.",
                )
            else:
                yield Check("LLM", f"rate limit: {key}", "ok", f"{what}: Kong plugin {plugin}")
    cost = features.cost_tracking
    if cost.enabled:
        who = per_worker + " to " + ", ".join(cost.export_to)
        if router.backend == "kong":
            who += "; Kong plugin prometheus (ai_metrics) for the gateway's view"
        budget = cost.budget
        if budget.per_run_usd is not None:
            who += f"; budget ${budget.per_run_usd:g} per run"
        if budget.per_day_usd is not None:
            who += f"; budget ${budget.per_day_usd:g} per UTC day (per worker process)"
        yield Check("LLM", "cost tracking", "ok", who)
    safety = features.content_safety
    if safety.enabled:
        if router.local_content_safety:
            yield Check("LLM", "content safety", "ok", f"{per_worker}, provider {safety.provider}")
        else:
            yield Check("LLM", "content safety", "ok", "Kong plugin ai-azure-content-safety")


def _kong_for(key: str) -> str:
    if key == "request_limit":
        return "With several workers, let Kong count: backend: kong (its rate-limiting plugin)."
    return (
        "With several workers, let Kong count: backend: kong with kong_edition: enterprise "
        "(ai-rate-limiting-advanced)."
    )


def preflight() -> None:
    """Every LLM call reads config/llm_router.yaml: refuse to start a service that cannot."""
    from .config import default_config_path, load_config

    load_env()
    path = default_config_path()
    if not path.exists():  # agents that make no LLM call still run; doctor reports it
        return
    try:
        load_config(path)
    except ConfigError as error:
        fail("; ".join(str(error).splitlines()), fix=_config_fix(path), code=2)


def register(app: typer.Typer, generators: typer.Typer) -> None:
    app.command("test:llm")(test_llm)
    generators.command("llm-config")(llm_config)
    generators.command("kong-config")(kong_config)


COMPONENT = Component(
    name="llm",
    title="the LLM router",
    answer="with_llm",
    check_flag="--check-llm",
    check_help="Also check config/llm_router.yaml, keys and providers",
    checks=llm_checks,
    register=register,
    preflight=preflight,
)

__all__ = ["COMPONENT", "llm_checks", "mask", "register"]
