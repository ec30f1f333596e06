"""LLM commands: `restack g llm-config`, `restack test:llm [--dry-run]`, doctor's LLM checks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from pathlib import Path

import typer
from rich.table import Table

from ..cli.checks import Check
from ..cli.components import Component
from ..cli.console import console, fail
from ..common.settings import project_root
from .config import ConfigError, RouterConfig, load_config
from .errors import LLMError
from .models import LLMRequest, estimate_prompt_tokens
from .pricing import cost_usd, price_for
from .starter import starter_config

_PROBE = LLMRequest(
    messages=[{"role": "user", "content": "Reply with the single word: OK"}],
    temperature=0,
    max_tokens=5,
)


def _load_env() -> None:
    from dotenv import load_dotenv

    load_dotenv(project_root() / ".env", override=False)


def mask(secret: str) -> str:
    """Enough of a key to recognise it, never enough to use it."""
    return "*" * len(secret) if len(secret) < 12 else f"{secret[:3]}...{secret[-4:]}"


def llm_config(
    kong: bool = typer.Option(False, "--kong", help="Route every call through Kong AI Gateway"),
    direct: bool = typer.Option(False, "--direct", help="Call the providers directly (default)"),
    mock: bool = typer.Option(
        False, "--mock", help="Keep the offline mock provider on (real providers written off)"
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config"),
) -> None:
    """Write config/llm_router.yaml (refuses to overwrite an existing one without --force)."""
    if kong and direct:
        fail("Choose one of --kong and --direct.", code=2)
    target = project_root() / "config" / "llm_router.yaml"
    if target.exists() and not force:
        fail(
            f"{target.relative_to(project_root())} already exists; nothing was written. "
            "Edit it, or pass --force to replace it.",
            code=2,
        )
    existed = target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter_config("kong" if kong else "direct", mock=mock), encoding="utf-8")
    console.print(f"  [green]{'overwrite' if existed else 'create'}[/]  config/llm_router.yaml")
    if mock:
        console.print(
            "The offline mock provider answers; when you are ready, enable a real provider "
            "in the file, set its key in .env and check with `restack doctor --check-llm`."
        )
        return
    keys = "KONG_GATEWAY_URL" if kong else "OPENAI_API_KEY and ANTHROPIC_API_KEY"
    console.print(f"Set {keys} in .env, then check with `restack doctor --check-llm`.")


def _config_or_exit(require_env: bool) -> RouterConfig:
    # The router, its providers and httpx are imported where used: the `restack`
    # command loads this module for every command, `--help` included.
    from .router import default_config_path

    _load_env()
    try:
        return load_config(default_config_path(), require_env=require_env)
    except ConfigError as error:
        fail(str(error), code=2)


def test_llm(
    dry_run: bool = typer.Option(
        False, "--dry-run", help="No network: estimated prompt tokens and cost per provider"
    ),
    prompt: str = typer.Option(_PROBE.messages[0]["content"], help="The prompt to send"),
) -> None:
    """Send one tiny request to every enabled provider; print status and latency."""
    config = _config_or_exit(require_env=not dry_run)
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

    async def probe_all() -> list[tuple[str, str, str, str, str]]:
        rows = []
        router = config.llm.router
        timeout = httpx.Timeout(router.timeout, connect=router.connect_timeout)
        async with httpx.AsyncClient(timeout=timeout) as client:
            for entry in config.llm.active_providers:
                provider = build_provider(entry, router, config.key_variables.get(entry.name))
                started = time.perf_counter()
                try:
                    reply = await provider.complete(client, request)
                except LLMError as error:
                    status, detail = "[red]fail[/]", f"{error.error_type.value}: {error.message}"
                else:
                    status, detail = "[green]ok[/]", repr(reply.content[:40])
                latency = f"{(time.perf_counter() - started) * 1000:.0f} ms"
                rows.append((entry.name, entry.model, status, latency, detail))
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
    from .router import default_config_path

    """`restack doctor --check-llm`: config valid, keys present (masked), providers reachable."""
    _load_env()
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
            elif entry.api_key:
                yield Check(
                    "LLM", f"{entry.name} key", "ok", f"{variables[0]}={mask(entry.api_key)}"
                )
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

    for name, url in targets.items():
        problem = asyncio.run(probe(url))
        if problem is None:
            yield Check("LLM", name, "ok", url)
        else:
            yield Check(
                "LLM",
                name,
                "fail",
                f"{url} not reachable ({problem})",
                "Check base_url/url in config/llm_router.yaml, the network, or start the server.",
            )


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
)

__all__ = ["COMPONENT", "llm_checks", "mask", "register"]
