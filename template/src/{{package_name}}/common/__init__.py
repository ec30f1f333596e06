"""Shared runtime code: settings, errors, names, discovery, logging, retry policies, the
embedded engine and the round-trip YAML editor."""
