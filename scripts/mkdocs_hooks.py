"""MkDocs hooks for the template's site (mkdocs.yml): pages that live outside docs/.

- The generated project's own pages (template/docs/*.md) appear under project/, read
  from where the project gets them, so the two sites cannot disagree.
- CHANGELOG.md appears as changelog.md.

The command reference (docs/project/cli.md) is a committed file written by
scripts/cli_reference.py; tests/test_docs.py fails when it differs from the CLI.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]
PROJECT_DOCS = ROOT / "template" / "docs"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    # Only plain Markdown: `.jinja` pages exist only once a project is rendered.
    for page in sorted(PROJECT_DOCS.glob("*.md")):
        files.append(File.generated(config, f"project/{page.name}", abs_src_path=str(page)))
    files.append(File.generated(config, "changelog.md", abs_src_path=str(ROOT / "CHANGELOG.md")))
    return files
