"""Client commands for scheduled functions: `cron fire`, `clock advance|set|reset|show`."""

from __future__ import annotations

import re
import time
from typing import Any

import click

from ..clock import MAX_MOVE_SECONDS, iso, parse_iso
from .functions import show_envelope
from .group import app_option, cli, client_options, connect, json_option, print_json

__all__ = ["clock_advance_command", "clock_reset_command", "clock_set_command", "clock_show_command",
           "cron_fire_command", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
DURATIONS = "a number with s, m, h or d, e.g. 45s, 90m, 1h30m, 2d (a bare number is seconds)"
"""What `parse_duration` accepts, as its messages and the help say it."""


def parse_duration(text: str) -> float:
    """`90m`, `1h30m`, `2d`, `45s` (a bare number is seconds) → seconds: more than zero, at most
    the ten years the clock moves at once. BadParameter naming DURATION and what is accepted."""
    value = text.strip().lower()
    if value.startswith("-"):
        raise click.BadParameter(f"{text!r}: the clock does not go back through advance; "
                                 "use `fnemu clock set TIME` or `fnemu clock reset`", param_hint="DURATION")
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        seconds = float(value)
    elif value and re.fullmatch(f"(?:{_PART.pattern})+", value):
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(value))
    else:
        raise click.BadParameter(f"{text!r} is not a duration: {DURATIONS}", param_hint="DURATION")
    if not 0 < seconds <= MAX_MOVE_SECONDS:
        raise click.BadParameter(f"{text!r}: must be more than zero and at most ten years ({DURATIONS})",
                                 param_hint="DURATION")
    return seconds


@cli.group("cron")
def cron_group() -> None:
    """Scheduled functions."""


@cron_group.command("fire")
@click.argument("name")
@client_options
@app_option
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


class _TakesNegatives(click.Command):
    """`clock advance -5m` reaches the DURATION argument (to be refused with a reason) instead of
    being read as an unknown option `-5`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        negative = [a for a in args if re.fullmatch(r"-\d[\w.]*", a)]
        rest = [a for a in args if a not in negative]
        return super().parse_args(ctx, [*rest, "--", *negative] if negative else rest)


@clock_group.command("advance", cls=_TakesNegatives)
@click.argument("duration")
@client_options
@json_option
def clock_advance_command(duration: str, url: str, token: str, as_json: bool) -> None:
    """Move the clock forward by DURATION (s, m, h, d), firing every cron due on the way, in order.
    It only goes forward: `clock set` and `clock reset` take it back.

    \b
    Example:
      fnemu clock advance 90m
    """
    seconds = parse_duration(duration)
    with connect(url, token) as client:
        _show_moved(client.advance_clock(seconds), as_json)


@clock_group.command("set")
@click.argument("when", metavar="TIME|now")
@client_options
@json_option
def clock_set_command(when: str, url: str, token: str, as_json: bool) -> None:
    """Set the clock to TIME (ISO 8601), or to the wall clock's `now`. Forward fires every cron due
    on the way, as an advance; backward fires nothing.

    \b
    Example:
      fnemu clock set 2026-01-01T08:59:00Z
      fnemu clock set now
    """
    if when.strip().lower() == "now":
        target = iso(time.time())
    else:
        try:
            target = iso(parse_iso(when))
        except ValueError:
            raise click.BadParameter(f"{when!r} is not a time: an ISO 8601 date-time such as "
                                     "2026-01-01T09:00:00Z, or now", param_hint="TIME") from None
    with connect(url, token) as client:
        _show_moved(client.set_clock(target), as_json)


@clock_group.command("reset")
@client_options
@json_option
def clock_reset_command(url: str, token: str, as_json: bool) -> None:
    """Put the clock back where `fnemu start` set it (the wall clock, or its --clock frozen=ISO
    instant). Nothing fires.

    \b
    Example:
      fnemu clock reset
    """
    with connect(url, token) as client:
        result = client.reset_clock()
    if as_json:
        print_json(result)
    else:
        click.echo(_now(result))


def _now(result: dict[str, Any]) -> str:
    return f"now {result['now']}{' (frozen)' if result['frozen'] else ''}"


def _show_moved(result: dict[str, Any], as_json: bool) -> None:
    """What a move of the clock answered: where it is, and each fire it made or skipped."""
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
def clock_show_command(url: str, token: str, as_json: bool) -> None:
    """Show the emulator clock and each cron function's next fire.

    \b
    Example:
      fnemu clock show
    """
    with connect(url, token) as client:
        result = client.clock()
    if as_json:
        print_json(result)
        return
    click.echo(_now(result))
    if not result["next"]:
        click.echo("no cron triggers")
    for fire in result["next"]:
        click.echo(f"  {fire['scheduledTime']}  {fire['app_id']}/{fire['function']}  "
                   f"{fire['schedule']} ({fire['timezone']})")
