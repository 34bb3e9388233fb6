"""The `fnemu` command: `start` serves, the other commands talk to a running server."""

from __future__ import annotations

from .group import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="fnemu")
