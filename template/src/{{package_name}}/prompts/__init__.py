# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Versioned prompts: config/prompts.yaml, semantic-version resolution, safe formatting,
the `render_prompt` function, and `Prompt`, through which agents use it. Published prompt
files live in the project's `prompts/`.
"""
