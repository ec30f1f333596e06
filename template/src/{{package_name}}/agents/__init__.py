# Your code: restack-template generated it once; change it freely (`restack upgrade`
# merges template changes around your edits).
"""Agents: long-running, event-driven Restack agents. The service registers every agent here."""
