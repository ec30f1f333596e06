"""Workflows: deterministic orchestration of functions; the service registers all of them."""
