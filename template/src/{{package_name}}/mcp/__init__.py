# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Tool servers: config/tools.yaml, pooled FastMCP sessions, the supervisor, the
`call_tool` / `list_tools` functions, and `ToolBox`, through which agents use them. The
project's own servers live in `tools/`.
"""

from pathlib import Path

# Where the tool servers are configured, relative to the project root. Here rather than
# in config.py, so that commands can name the file without importing the config models.
TOOLS_CONFIG = Path("config") / "tools.yaml"
