"""Client commands for webhook triggers: `webhook send`, `webhook url`, `webhook replay`."""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

import click

from ..triggers.signatures import SOURCES
from .group import app_option, cli, client_options, connect, json_option
from .replay import replay

if TYPE_CHECKING:
    import httpx

__all__ = ["webhook_replay_command", "webhook_send_command", "webhook_url_command"]


@cli.group("webhook")
def webhook_group() -> None:
    """Functions with a webhook trigger: send signed deliveries, show the URL, replay."""


def _show(response: httpx.Response) -> None:
    """The function's answer; a refusal (4xx/5xx) exits non-zero."""
    click.secho(f"HTTP {response.status_code}", fg="green" if response.status_code < 400 else "red",
                err=response.status_code >= 400)
    if response.content:
        click.echo(response.text)
    if response.status_code >= 400:
        click.get_current_context().exit(1)


@webhook_group.command("send")
@click.argument("name")
@click.option("--source", type=click.Choice(SOURCES),
              help="Sign as this provider does [default: the first of the trigger's allowed_sources].")
@click.option("--data", "data", type=click.File("rb"), help="The body to send, as it is (- for stdin) "
              "[default: a sample delivery of the source].")
@click.option("--event", help="GitHub's X-GitHub-Event, or the type of the sample body of the others.")
@client_options
@app_option
def webhook_send_command(name: str, source: str | None, data: BinaryIO | None, event: str | None,
                         url: str, token: str, app_id: str) -> None:
    """Send NAME's webhook a delivery signed with its secret, as the provider would.

    \b
    Example:
      fnemu webhook send payments --source stripe --data event.json
    """
    body = data.read() if data is not None else None
    with connect(url, token, app_id) as client:
        response = client.webhook_send(name, source=source, body=body, event=event)
    _show(response)


@webhook_group.command("url")
@click.argument("name")
@client_options
@app_option
def webhook_url_command(name: str, url: str, token: str, app_id: str) -> None:
    """Print NAME's webhook URL, and its secret when it has one (what a provider is given).

    \b
    Example:
      fnemu webhook url payments
    """
    with connect(url, token, app_id) as client:
        hook = client.webhook(name)
    click.echo(hook["url"])
    if "secret" in hook:
        click.echo(f"secret: {hook['secret']}")
        click.echo(f"sources: {hook['config']['allowed_sources']}")


@webhook_group.command("replay")
@click.argument("invocation_id")
@client_options
@json_option
def webhook_replay_command(invocation_id: str, url: str, token: str, as_json: bool) -> None:
    """Re-send the webhook delivery logged as INVOCATION_ID, with a fresh timestamp and signature
    (the same as `fnemu replay`).

    \b
    Example:
      fnemu webhook replay 4f9c2a1e-77b0-4d3e-8000-000000000007
    """
    replay(invocation_id, url, token, as_json)
