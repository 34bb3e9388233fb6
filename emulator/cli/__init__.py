"""The `fnemu` command: `start` serves, the other commands talk to a running server."""

from __future__ import annotations

from . import agents, cron, demo, event, functions, init, replay, s3, start, webhook
from .group import cli

__all__ = ["cli", "main"]
_COMMANDS = (agents, cron, demo, event, functions, init, replay, s3, start, webhook)  # importing them registers their commands on `cli`


def main() -> None:
    cli(prog_name="fnemu")
