"""Tool servers: config/tools.yaml, pooled FastMCP sessions, the supervisor, and the
`call_tool` / `list_tools` functions agents use. The project's own servers live in `tools/`.
"""
