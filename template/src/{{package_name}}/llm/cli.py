# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""LLM commands: `restack g llm-config`, `restack test:llm [--dry-run]`, doctor's LLM checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..cli.changes import Force, Pretend, Skip, carry_out, change, summary, write_options
from ..cli.checks import Check
from ..cli.components import Component
from ..cli.console import console, fail
from ..common.settings import load_env, project_root
from .config import RouterConfig, default_config_path, load_config
from .errors import ConfigError, LLMError
from .models import LLMRequest, estimate_prompt_tokens
from .pricing import cost_usd, price_for
from .starter import starter_config

_PROBE = LLMRequest(
    messages=[{"role": "user", "content": "Reply with the single word: OK"}],
    temperature=0,
    max_tokens=5,
)


def mask(secret: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    return "*" * len(secret) if len(secret) < 12 else f"{secret[:3]}...{secret[-4:]}"


def llm_config(
    kong: bool = typer.Option(False, "--kong", help="Route every call through Kong AI Gateway"),
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
    """Write config/llm_router.yaml (an existing different one is kept unless --force)."""
    options = write_options(force, skip, pretend)
    if kong and direct:
        fail("Choose one of --kong and --direct.", code=2)
    root = project_root()
    text = starter_config("kong" if kong else "direct", mock=mock)
    decided = carry_out(root, [change(root, "config/llm_router.yaml", text)], options)
    unchanged = summary(decided, options)
    if unchanged:
        console.print(unchanged)
    if unchanged or options.pretend:
        return
    if mock:
        console.print(
            "The offline mock provider answers; when you are ready, enable a real provider "
            "in the file, set its key in .env and check with `restack doctor --check-llm`."
        )
        return
    keys = "KONG_GATEWAY_URL" if kong else "OPENAI_API_KEY and ANTHROPIC_API_KEY"
    console.print(f"Set {keys} in .env, then check with `restack doctor --check-llm`.")


def test_llm(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="No network: estimated prompt tokens and cost per provider"
    ),
    prompt: str = typer.Option(_PROBE.messages[0]["content"], help="The prompt to send"),
) -> None:
    """Send one tiny request to every enabled provider; print status and latency."""
    config = load_config(default_config_path(), require_env=not dry_run)
    request = _PROBE.model_copy(update={"messages": [{"role": "user", "content": prompt}]})
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
    yield from _reachability(config)


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
            yield Check(
                "LLM",
                name,
                "fail",
                f"{shown} not reachable ({problem})",
                "Check base_url/url in config/llm_router.yaml, the network, or start the server.",
            )


def preflight() -> None:
    """Every LLM call reads config/llm_router.yaml: refuse to start a service that cannot."""
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
