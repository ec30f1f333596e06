# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""One module per wire format; `build_provider` picks the right one for a config entry."""

from __future__ import annotations

from ..config import ProviderConfig, RouterSettings
from ..redaction import NO_SECRETS, Redactor
from .anthropic import AnthropicProvider
from .base import Provider
from .mock import MockProvider
from .openai import KongProvider, OpenAIProvider


def build_provider(
    config: ProviderConfig,
    router: RouterSettings,
    key_variables: list[str] | None = None,
    redact: Redactor = NO_SECRETS,
) -> Provider:
    """The provider object for one config entry, honouring `router.backend`."""
    if config.type == "mock":
        return MockProvider(config, key_variables, redact)
    if router.backend == "kong":
        return KongProvider(config, key_variables, router, redact)
    if config.type == "anthropic":
        return AnthropicProvider(config, key_variables, redact)
    return OpenAIProvider(config, key_variables, redact)


__all__ = [
    "AnthropicProvider",
    "KongProvider",
    "MockProvider",
    "OpenAIProvider",
    "Provider",
    "build_provider",
]
