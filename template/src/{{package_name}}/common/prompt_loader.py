# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""The prompt registry, under the import path the spec documents.

The implementation lives in the `prompts` package (registry, semver, safe formatting,
render_prompt); this module re-exports its public API so imports from
`common.prompt_loader` keep working.
"""

from __future__ import annotations

from ..prompts.errors import (
    MissingPromptVariablesError,
    PromptConfigError,
    PromptError,
    PromptFileError,
    PromptFormatError,
    PromptNotFoundError,
    PromptVersionNotFoundError,
)
from ..prompts.loader import PromptLoader, PromptTemplate

__all__ = [
    "MissingPromptVariablesError",
    "PromptConfigError",
    "PromptError",
    "PromptFileError",
    "PromptFormatError",
    "PromptLoader",
    "PromptNotFoundError",
    "PromptTemplate",
    "PromptVersionNotFoundError",
]
