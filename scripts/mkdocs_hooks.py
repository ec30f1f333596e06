"""MkDocs hooks for the template's site (mkdocs.yml): pages that live outside docs/.

- The generated project's own pages (template/docs/*.md) appear under project/, read
  from where the project gets them, so the two sites cannot disagree. Pages that depend
  on the answers (`*.md.jinja`) are shown as the default project has them.
- CHANGELOG.md appears as changelog.md.

The command reference (docs/project/cli.md) is a committed file written by
scripts/cli_reference.py; tests/test_docs.py fails when it differs from the CLI.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
PROJECT_DOCS = ROOT / "template" / "docs"
# The answers of the project the site describes: Copier's defaults, every component on.
DEFAULT_PROJECT = {
    "project_name": "my-agents",
    "package_name": "my_agents",
    "with_llm": True,
    "with_tools": True,
    "with_prompts": True,
}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for page in sorted(PROJECT_DOCS.glob("*.md")):
        files.append(File.generated(config, f"project/{page.name}", abs_src_path=str(page)))
    # StrictUndefined: a page that uses an answer not listed above fails the build.
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    for page in sorted(PROJECT_DOCS.glob("*.md.jinja")):
        text = environment.from_string(page.read_text(encoding="utf-8")).render(DEFAULT_PROJECT)
        files.append(File.generated(config, f"project/{page.name[: -len('.jinja')]}", content=text))
    files.append(File.generated(config, "changelog.md", abs_src_path=str(ROOT / "CHANGELOG.md")))
    return files
