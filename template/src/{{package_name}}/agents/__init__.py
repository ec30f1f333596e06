"""Agents: long-running, event-driven Restack agents. The service registers every agent here."""
