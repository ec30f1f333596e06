"""One module per wire format; `build_provider` picks the right one for a config entry."""

from __future__ import annotations

from ..config import ProviderConfig, RouterSettings
from .anthropic import AnthropicProvider
from .base import Provider
from .mock import MockProvider
from .openai import KongProvider, OpenAIProvider


def build_provider(
    config: ProviderConfig, router: RouterSettings, key_variables: list[str] | None = None
) -> Provider:
    """The provider object for one config entry, honouring `router.backend`."""
    if config.type == "mock":
        return MockProvider(config, key_variables)
    if router.backend == "kong":
        return KongProvider(config, key_variables, router)
    if config.type == "anthropic":
        return AnthropicProvider(config, key_variables)
    return OpenAIProvider(config, key_variables)


__all__ = [
    "AnthropicProvider",
    "KongProvider",
    "MockProvider",
    "OpenAIProvider",
    "Provider",
    "build_provider",
]
