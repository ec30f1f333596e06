#!/usr/bin/env bash
# Grow a project rendered from answers.yml into a content pipeline. Run it from the
# project's root with the project installed (`restack` on PATH).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Prompts: `outline` 1.0.0, then 1.1.0 (copied from 1.0.0 and changed: a published
# version is never edited, a new one is added). The pipeline also uses the shipped
# `summarize` 1.0.0.
restack g prompt outline --version 1.0.0 --description "Outline a text as headings"
restack g prompt outline --version 1.1.0
sed -i 's/^2\. Be concise and structured\.$/2. Answer as an outline: at most five headings, one line each./' \
  prompts/outline/v1.1.0.md
grep -q "at most five headings" prompts/outline/v1.1.0.md

# The workflow: generated (with its first step function and answers file), then given
# the pipeline's body and test.
restack g workflow ContentPipeline
cp "$here/content_pipeline.py" src/content_pipeline/workflows/content_pipeline.py
cp "$here/test_content_pipeline.py" tests/e2e/test_content_pipeline.py
