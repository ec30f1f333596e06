# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""MCP tool servers of this project, one module per server: `<name>_mcp.py`.

Each runs on its own with `python -m` on its module and is listed in
config/tools.yaml, where the service finds it. Add one with `restack g tool-server NAME`.
"""
