# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""LLM router: one API over OpenAI, Anthropic, OpenAI-compatible servers, Kong and a mock.

    router = LLMRouter()  # config/llm_router.yaml, or $LLM_ROUTER_CONFIG
    response = await router.chat(LLMRequest(messages=[{"role": "user", "content": "Hi"}]))
    await router.close()

Providers are tried in priority order; transient failures are retried with backoff,
the fallback conditions in the config move on to the next provider, and a circuit
breaker per provider stops calling one that keeps failing. Call it from Restack
functions (see llm/functions.py), never from agent or workflow code.
"""

from __future__ import annotations

from ..llm.breaker import BreakerState
from ..llm.config import RouterConfig, default_config_path, load_config
from ..llm.errors import AllProvidersFailedError, ConfigError, LLMError, LLMErrorType
from ..llm.models import LLMRequest, LLMResponse, ToolCall
from ..llm.router import LLMRouter

__all__ = [
    "AllProvidersFailedError",
    "BreakerState",
    "ConfigError",
    "LLMError",
    "LLMErrorType",
    "LLMRequest",
    "LLMResponse",
    "LLMRouter",
    "RouterConfig",
    "ToolCall",
    "default_config_path",
    "load_config",
]
