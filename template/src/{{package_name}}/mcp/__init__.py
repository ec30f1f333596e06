# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Tool servers: config/tools.yaml, pooled FastMCP sessions, the supervisor, the
`call_tool` / `list_tools` functions, and `ToolBox`, through which agents use them. The
project's own servers live in `tools/`.
"""
