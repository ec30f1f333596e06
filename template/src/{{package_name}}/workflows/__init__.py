# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""Workflows: deterministic orchestration of functions; the service registers all of them."""
