"""Shared runtime code: settings, discovery, logging, retry policies and the embedded engine."""
