"""The LLM router's parts; import the public API from `common.llm_router`."""
