"""`fnemu replay ID`: run a logged invocation again (CONTRACT §13)."""

from __future__ import annotations

import click

from .functions import show_envelope
from .group import cli, client_options, connect, json_option

__all__ = ["replay", "replay_command"]


def replay(invocation_id: str, url: str, token: str, as_json: bool) -> None:
    """Replay and show the new invocation's envelope (also `fnemu webhook replay`)."""
    with connect(url, token) as client:
        envelope = client.replay(invocation_id)
    show_envelope(envelope, as_json)


@cli.command("replay")
@click.argument("invocation_id")
@client_options
@json_option
def replay_command(invocation_id: str, url: str, token: str, as_json: bool) -> None:
    """Run the invocation logged as INVOCATION_ID again, with the same request or event, against
    its function's current version; a webhook delivery is signed afresh. The new log entry has
    `replay_of`.

    \b
    Example:
      fnemu replay 4f9c2a1e-77b0-4d3e-8000-000000000007
    """
    replay(invocation_id, url, token, as_json)
