"""Agents' ways in: agent tools (with approvals for read_write tools) and the seed 000 action."""
