"""Durable Restack agents, workflows and functions."""
