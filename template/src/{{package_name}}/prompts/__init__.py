"""Versioned prompts: config/prompts.yaml, semantic-version resolution, safe formatting,
the `render_prompt` function, and `Prompt`, through which agents use it. Published prompt
files live in the project's `prompts/`.
"""
