"""Versioned prompts: config/prompts.yaml, semantic-version resolution, safe formatting,
and the `render_prompt` function. Published prompt files live in the project's `prompts/`.
"""
