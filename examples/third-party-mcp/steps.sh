#!/usr/bin/env bash
# Install a third-party MCP server and register it in config/tools.yaml as a stdio
# `command` + `args` entry; then list its tools through the project. Run it from the
# project's root with the project installed (`restack` on PATH).
set -euo pipefail

python -m pip install --quiet "mcp-server-time>=2025.1"

# Appended under `fastmcp: servers:`. The service starts it with the others; a stdio
# server gets only PATH, HOME, the locale and the variables listed in its `env`.
cat >> config/tools.yaml <<'YAML'

    # A third-party server from PyPI: get_current_time and convert_time.
    - name: time
      command: mcp-server-time
      args: ["--local-timezone", "UTC"]
      transport: stdio
      autostart: true
      timeout: 30
YAML

restack test:tools --server time
