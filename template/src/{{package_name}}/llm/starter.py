# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The starter config/llm_router.yaml, for a new project and for `restack g llm-config`."""

from __future__ import annotations

from typing import Literal

_HEADER = """\
# LLM router configuration. Reference: docs/llm.md
# Values may use ${VAR} (required) and ${VAR:-default}; put keys in .env, never here.
llm:
  router:
"""

_DIRECT = """\
    backend: direct  # call providers directly; `kong` sends every call through Kong AI Gateway
    timeout: 30  # seconds per attempt
    request_deadline: 45  # seconds for a whole call, every retry and fallback included
"""

_KONG = """\
    backend: kong  # every provider below is a Kong ai-proxy route (OpenAI format in and out)
    url: "${KONG_GATEWAY_URL:-http://localhost:8000}"
    api_key: "${KONG_API_KEY:-}"  # only if the routes use key-auth
    timeout: 30  # seconds per attempt
    request_deadline: 45  # seconds for a whole call, every retry and fallback included
"""

_FEATURES = """\
    features:
      # Budgets shared by every provider. Enforced by the router with backend: direct
      # (per worker process), by Kong otherwise (docs/kong.md).
      ai_rate_limiting:
        enabled: false
        window: minute  # second, minute, hour or day
        token_limit: 100000
        # request_limit: 600
        strategy: sliding  # or fixed (counters reset at each window boundary)
        enforcement: block  # block: fail with rate_limit; log: let it through, log and count
      cost_tracking:
        enabled: true
        export_to: [prometheus, logs]  # metrics, and cost fields in log lines
        # budget: {per_run_usd: 0.50, per_day_usd: 20}  # a call past a budget fails
      # Checks the prompt and the answer; a blocked text fails the call with content_filter.
      content_safety:
        enabled: false
        provider: local  # offline rules; azure: Azure AI Content Safety (docs/llm.md)
        filters: [violence, hate, sexual, self-harm]
        block_on: [high]  # low, medium or high: the lowest listed and everything above
        log_violations: true

  providers:
"""

_MOCK = """\
    # Offline and deterministic: answers from the prompt, calls offered tools first.
    # Turn it off (enabled: false) when you enable a real provider below.
    - name: mock
      type: mock
      model: mock-1
      priority: 0
      enabled: {mock_enabled}

"""


def _real_providers(kong: bool, enabled: bool) -> str:
    on = "true" if enabled else "false"
    if kong:
        # Kong holds the provider keys; each provider here is one Kong route.
        return f"""\
    - name: openai-primary
      type: openai
      model: gpt-4o-mini
      kong_route: /openai/chat
      priority: 1
      enabled: {on}

    - name: anthropic-fallback
      type: anthropic
      model: claude-3-5-haiku-20241022
      kong_route: /anthropic/chat
      priority: 2
      enabled: {on}

"""
    return f"""\
    - name: openai-primary
      type: openai
      model: gpt-4o-mini
      base_url: "${{OPENAI_BASE_URL:-https://api.openai.com/v1}}"
      api_key: "${{OPENAI_API_KEY}}"
      priority: 1
      enabled: {on}
      # rate_limit: {{requests_per_minute: 500, tokens_per_minute: 200000}}

    - name: anthropic-fallback
      type: anthropic
      model: claude-3-5-haiku-20241022
      base_url: "${{ANTHROPIC_BASE_URL:-https://api.anthropic.com}}"
      api_key: "${{ANTHROPIC_API_KEY}}"
      priority: 2
      enabled: {on}

    # Any OpenAI-compatible server (vLLM, Ollama, LM Studio...).
    - name: local
      type: openai_compatible
      model: llama3.1
      base_url: "${{LOCAL_LLM_BASE_URL:-http://localhost:11434/v1}}"
      priority: 3
      enabled: false

"""


_FALLBACK = """\
  fallback:
    # Failures that move on to the next provider. A 400 (invalid request) never does
    # unless you add `invalid_request`; a rejected key (401/403) always skips the provider.
    conditions: [timeout, connection_error, 5xx, rate_limit, malformed_response, llm_error]
    max_retries_per_provider: 2
    retry:
      initial_seconds: 0.5
      max_seconds: 8
      max_retry_after_seconds: 30  # longer Retry-After: fall back instead of waiting
    circuit_breaker:
      enabled: true
      failure_threshold: 5
      cooldown_seconds: 60

  # USD per 1M tokens, overriding the built-in price table:
  # prices:
  #   gpt-4o-mini: {input: 0.15, output: 0.60}
"""


def starter_config(backend: Literal["direct", "kong"] = "direct", *, mock: bool = True) -> str:
    """The YAML text of a starter config: the mock on (offline) or the real providers on."""
    kong = backend == "kong"
    real = _real_providers(kong, enabled=not mock)
    return (
        _HEADER
        + (_KONG if kong else _DIRECT)
        + _FEATURES
        + (_MOCK.format(mock_enabled="true") if mock else "")
        + real
        + _FALLBACK
    )
