"""`fnemu demo`: the emulator on a copy of the sample functions, with a login link to the UI."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from pathlib import Path

import click

from ..config import DEFAULT_PORT, Config
from .group import cli
from .start import _run

__all__ = ["demo_command"]

SAMPLES = Path(__file__).resolve().parent.parent.parent / "sample_functions"
"""The samples of a source checkout (what `make run` serves)."""
_HELD_CALL = {"input": {"account": "acct_demo", "amount": 25}}


async def _announce(url: str, token: str) -> None:
    """Print a one-time login link, then leave one agent-tool call waiting on the Approvals page."""
    import httpx

    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as client:
        link = (await client.post("/_emu/login-links")).json()["path"]
        click.echo(f"Open the UI (this link logs you in once): {url}{link}")
        answer = await client.post("/v1/local/agent-tools/refund/call", json=_HELD_CALL)
    if answer.status_code == 202:
        click.echo(f"refund awaits approval: {answer.json()['approval_id']} (Approvals page)")


@cli.command("demo")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port; 0 picks a free one.")
def demo_command(port: int) -> None:
    """Give a demo, offline: every handler style and trigger type, a cron firing every minute, a
    webhook, a WebSocket and an agent tool awaiting approval, on a copy of the samples (edit them
    freely: the copy is removed on exit). Prints the UI's URL as a one-time login link.

    \b
    Example:
      fnemu demo
    """
    if not SAMPLES.is_dir():
        raise click.ClickException(f"no sample functions at {SAMPLES}: fnemu demo runs from a source checkout")
    from ..server import run

    work = Path(tempfile.mkdtemp(prefix="fnemu-demo-"))
    try:
        folder = work / "functions"
        shutil.copytree(SAMPLES, folder)
        token = secrets.token_urlsafe(16)
        config = Config(port=port, token=token, functions_dir=folder)
        try:
            _run(run(config, ready=lambda url: _announce(url, token)))
        except OSError as exc:
            raise click.ClickException(f"could not listen on port {port}: {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
