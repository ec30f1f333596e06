"""The LLM router: config, providers, retries, fallback, circuit breaker, the `llm_chat`
function and the agent loop. The spec's import path `common.llm_router` re-exports its API.
"""
