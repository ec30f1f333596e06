# Framework code, maintained by restack-template: `restack upgrade` brings in new
# versions and keeps your edits through a three-way merge.
"""Shared runtime code: settings, errors, names, discovery, logging, retry policies, the
embedded engine and the round-trip YAML editor."""
