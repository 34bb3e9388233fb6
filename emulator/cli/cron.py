"""Client commands for scheduled functions: `cron fire`, `clock advance`, `clock show`."""

from __future__ import annotations

import re

import click

from .functions import show_envelope
from .group import cli, client_options, connect, json_option, print_json

__all__ = ["clock_advance_command", "clock_show_command", "cron_fire_command", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str) -> float:
    """`90m`, `1h30m`, `2d`, `45s` (a bare number is seconds) → seconds."""
    value = text.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    if not value or not re.fullmatch(f"(?:{_PART.pattern})+", value):
        raise click.BadParameter(f"{text!r} is not a duration: a number with s, m, h or d "
                                 "(e.g. 90m, 1h30m, 2d)", param_hint="DURATION")
    return sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(value))


@cli.group("cron")
def cron_group() -> None:
    """Scheduled functions."""


@cron_group.command("fire")
@click.argument("name")
@client_options
@json_option
def cron_fire_command(name: str, url: str, token: str, app_id: str, as_json: bool) -> None:
    """Fire NAME's cron trigger now and show the invocation.

    \b
    Example:
      fnemu cron fire nightly-report
    """
    with connect(url, token, app_id) as client:
        envelope = client.fire_cron(name)
    show_envelope(envelope, as_json)


@cli.group("clock")
def clock_group() -> None:
    """The emulator clock that cron triggers fire on."""


@clock_group.command("advance")
@click.argument("duration")
@client_options
@json_option
def clock_advance_command(duration: str, url: str, token: str, app_id: str, as_json: bool) -> None:
    """Move the clock forward by DURATION (s, m, h, d), firing every cron due on the way, in order.

    \b
    Example:
      fnemu clock advance 90m
    """
    seconds = parse_duration(duration)
    with connect(url, token, app_id) as client:
        result = client.advance_clock(seconds)
    if as_json:
        print_json(result)
        return
    click.echo(f"now {result['now']}; fired {len(result['fired'])}, skipped {len(result['skipped'])}")
    for fire in result["fired"]:
        colour = "green" if fire["status_code"] < 400 else "red"
        click.secho(f"  {fire['scheduledTime']}  {fire['function']}  {fire['status_code']}", fg=colour)
    for skip in result["skipped"]:
        click.secho(f"  {skip['scheduledTime']}  {skip['function']}  skipped: {skip['reason']}", fg="yellow")


@clock_group.command("show")
@client_options
@json_option
def clock_show_command(url: str, token: str, app_id: str, as_json: bool) -> None:
    """Show the emulator clock and each cron function's next fire.

    \b
    Example:
      fnemu clock show
    """
    with connect(url, token, app_id) as client:
        result = client.clock()
    if as_json:
        print_json(result)
        return
    click.echo(f"now {result['now']}{' (frozen)' if result['frozen'] else ''}")
    if not result["next"]:
        click.echo("no cron triggers")
    for fire in result["next"]:
        click.echo(f"  {fire['scheduledTime']}  {fire['app_id']}/{fire['function']}  "
                   f"{fire['schedule']} ({fire['timezone']})")
