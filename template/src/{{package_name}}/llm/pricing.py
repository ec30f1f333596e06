# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""USD prices per one million tokens, for cost tracking and `restack test:llm --dry-run`.

List prices change: override them in config/llm_router.yaml, per provider (`price:`)
or per model (`llm.prices:`). Unknown models cost 0 and are reported as unpriced.
"""

from __future__ import annotations

from .config import LLMSettings, Price, ProviderConfig

BUILT_IN_PRICES: dict[str, Price] = {
    "gpt-4o": Price(input=2.50, output=10.00),
    "gpt-4o-mini": Price(input=0.15, output=0.60),
    "gpt-4.1": Price(input=2.00, output=8.00),
    "gpt-4.1-mini": Price(input=0.40, output=1.60),
    "claude-3-5-sonnet-20241022": Price(input=3.00, output=15.00),
    "claude-3-5-haiku-20241022": Price(input=0.80, output=4.00),
    "claude-sonnet-4-5": Price(input=3.00, output=15.00),
    "claude-haiku-4-5": Price(input=1.00, output=5.00),
}


def price_for(provider: ProviderConfig, settings: LLMSettings) -> Price | None:
    """The provider's price: its own, then the config's model table, then the built-in one."""
    if provider.type == "mock":
        return Price(input=0.0, output=0.0)
    return (
        provider.price or settings.prices.get(provider.model) or BUILT_IN_PRICES.get(provider.model)
    )


def cost_usd(price: Price | None, prompt_tokens: int, completion_tokens: int) -> float:
    if price is None:
        return 0.0
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000
