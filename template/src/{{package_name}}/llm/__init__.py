# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The LLM router: config, providers, retries, fallback, circuit breaker, the `llm_chat`
function and the agent loop. The spec's import path `common.llm_router` re-exports its API.
"""
