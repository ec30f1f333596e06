#!/usr/bin/env bash
# Grow a project rendered from answers.yml into the spec's research agent. Run it from the
# project's root with the project installed (`restack` on PATH).
set -euo pipefail

restack g tool-server Research
restack g prompt analyze-research --version 1.0.0
restack g agent ResearchAgent --with-llm --tools research --prompt analyze-research
