"""§6 cron schedules, pure: every expression form, every rejection, time zones and DST."""

from __future__ import annotations

from datetime import datetime
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from emulator.clock import parse_iso
from emulator.triggers.schedule import ALIASES, ScheduleError, parse_schedule, parse_timezone

UTC = ZoneInfo("UTC")


def fires(expression: str, start: str, count: int, zone: str = "UTC") -> list[str]:
    """The next `count` fire times after `start`, written in the zone (offset included)."""
    tz = ZoneInfo(zone)
    times = parse_schedule(expression, tz).after(parse_iso(start))
    return [datetime.fromtimestamp(ts, tz).isoformat() for ts in islice(times, count)]


@pytest.mark.parametrize(("expression", "expected"), [
    ("* * * * *", ["2026-01-01T00:01:00+00:00", "2026-01-01T00:02:00+00:00"]),
    ("*/15 * * * *", ["2026-01-01T00:15:00+00:00", "2026-01-01T00:30:00+00:00"]),
    ("0,30 * * * *", ["2026-01-01T00:30:00+00:00", "2026-01-01T01:00:00+00:00"]),
    ("0 9-10 * * *", ["2026-01-01T09:00:00+00:00", "2026-01-01T10:00:00+00:00"]),
    ("10-30/10 8 * * *", ["2026-01-01T08:10:00+00:00", "2026-01-01T08:20:00+00:00"]),
    ("0 9 * * MON-FRI", ["2026-01-01T09:00:00+00:00", "2026-01-02T09:00:00+00:00"]),  # Thu, Fri
    ("0 0 1 JAN,jul *", ["2026-07-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"]),
    ("0 12 * * sun", ["2026-01-04T12:00:00+00:00", "2026-01-11T12:00:00+00:00"]),
    ("0 0 * * 7", ["2026-01-04T00:00:00+00:00", "2026-01-11T00:00:00+00:00"]),  # 7 is Sunday too
    ("0 0 29 2 *", ["2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00"]),  # rare, but fires
    ("  0   6  *  *  *  ", ["2026-01-01T06:00:00+00:00", "2026-01-02T06:00:00+00:00"]),
])
def test_expression_forms(expression: str, expected: list[str]) -> None:
    assert fires(expression, "2026-01-01T00:00:00Z", 2) == expected


@pytest.mark.parametrize(("alias", "first"), [
    ("@yearly", "2027-01-01T00:00:00+00:00"),
    ("@annually", "2027-01-01T00:00:00+00:00"),
    ("@monthly", "2026-02-01T00:00:00+00:00"),
    ("@weekly", "2026-01-04T00:00:00+00:00"),
    ("@daily", "2026-01-02T00:00:00+00:00"),
    ("@midnight", "2026-01-02T00:00:00+00:00"),
    ("@hourly", "2026-01-01T01:00:00+00:00"),
    ("@Hourly", "2026-01-01T01:00:00+00:00"),
])
def test_aliases(alias: str, first: str) -> None:
    assert fires(alias, "2026-01-01T00:00:00Z", 1) == [first]
    assert parse_schedule(alias, UTC).expression == alias.lower()
    assert alias.lower() in ALIASES


def test_normalised_expression_and_strictly_after() -> None:
    assert parse_schedule("  0   6  * * *", UTC).expression == "0 6 * * *"
    assert fires("0 6 * * *", "2026-01-01T06:00:00Z", 1) == ["2026-01-02T06:00:00+00:00"]


def refused(expression: object) -> str:
    with pytest.raises(ScheduleError) as info:
        parse_schedule(expression, UTC)
    return str(info.value)


@pytest.mark.parametrize(("expression", "words"), [
    ("0 0 31 2 *", ["never fires"]),
    ("0 0 30 2 *", ["never fires"]),
    ("0 0 31 4,6 *", ["never fires"]),
    ("cron(0 12 * * ? *)", ["AWS cron()", '"0 12 * * *"']),
    ("cron(0 18 ? * MON-FRI *)", ["AWS cron()", '"0 18 * * MON-FRI"']),
    ("cron(0 10 ? * 2-6 *)", ["AWS cron()", '"0 10 * * 1-5"']),  # AWS counts Sunday as 1
    ("cron(15 10 ? * 6#3 *)", ["AWS cron()", '"15 10 * * 5#3"']),
    ("0 12 * * ? *", ["AWS cron()", '"0 12 * * *"']),
    ("cron(0 12 * * ? 2027)", ["AWS cron()", "no 5-field equivalent"]),
    ("rate(5 minutes)", ["AWS rate()", '"*/5 * * * *"']),
    ("rate(1 minute)", ["AWS rate()", '"* * * * *"']),
    ("rate(2 hours)", ["AWS rate()", '"0 */2 * * *"']),
    ("rate(120 minutes)", ["AWS rate()", '"0 */2 * * *"']),
    ("rate(1 day)", ["AWS rate()", '"0 0 * * *"']),
    ("rate(7 minutes)", ["AWS rate()", '"*/7 * * * *"', "nearest", "every hour"]),
    ("rate(3 days)", ["AWS rate()", '"0 0 */3 * *"', "every month"]),
    ("rate(0 minutes)", ["AWS rate()", '"*/5 * * * *"']),
    ("0 0 * * ?", ["'?'", '"0 0 * * *"']),
    ("* * * * * *", ["5 fields", "got 6"]),
    ("0 0 0 * * * 2026", ["5 fields", "got 7"]),
    ("* * * *", ["5 fields", "got 4"]),
    ("R * * * *", ["random (R)"]),
    ("H * * * *", ["hashed (H)"]),
    ("61 * * * *", ["not a valid cron expression"]),
    ("0 24 * * *", ["not a valid cron expression"]),
    ("0 0 * * FUNDAY", ["not a valid cron expression"]),
    ("*/0 * * * *", ["not a valid cron expression"]),
    ("@reboot", ["unknown alias", "@hourly"]),
    ("@every 5m", ["unknown alias"]),
    ("", ["required", "5-field"]),
    (None, ["required"]),
    (5, ["required"]),
])
def test_rejections_say_why(expression: object, words: list[str]) -> None:
    message = refused(expression)
    for word in words:
        assert word in message, message


def test_time_zones() -> None:
    assert parse_timezone("Europe/Berlin").key == "Europe/Berlin"
    assert fires("0 9 * * *", "2026-01-01T00:00:00Z", 1, "Europe/Berlin") == ["2026-01-01T09:00:00+01:00"]
    assert fires("0 9 * * *", "2026-07-01T00:00:00Z", 1, "America/New_York") == ["2026-07-01T09:00:00-04:00"]
    for bad in ("Mars/Base", "../etc/passwd", "", None, 3):
        with pytest.raises(ScheduleError, match="time zone"):
            parse_timezone(bad)


@pytest.mark.parametrize(("zone", "start", "expression", "expected"), [
    # spring forward: the gap's 02:30 fires once, at the first valid time (03:00), then daily
    ("America/New_York", "2026-03-07T12:00:00Z", "30 2 * * *",
     ["2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"]),
    ("Europe/Berlin", "2026-03-28T12:00:00Z", "30 2 * * *",
     ["2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]),
    # fall back: the repeated 01:30 (New York) / 02:30 (Berlin) fires once, at its first occurrence
    ("America/New_York", "2026-10-31T12:00:00Z", "30 1 * * *",
     ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]),
    ("Europe/Berlin", "2026-10-24T12:00:00Z", "30 2 * * *",
     ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]),
    # every gap time collapses into one fire at 03:00; no time of the repeated hour fires twice
    ("America/New_York", "2026-03-08T06:40:00Z", "*/15 * * * *",
     ["2026-03-08T01:45:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T03:15:00-04:00"]),
    ("Europe/Berlin", "2026-10-25T00:40:00Z", "*/30 * * * *",
     ["2026-10-25T03:00:00+01:00", "2026-10-25T03:30:00+01:00"]),
    ("America/New_York", "2026-11-01T05:20:00Z", "*/30 * * * *",
     ["2026-11-01T01:30:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00"]),
])
def test_dst_transitions(zone: str, start: str, expression: str, expected: list[str]) -> None:
    assert fires(expression, start, len(expected), zone) == expected


def test_starting_inside_the_repeated_hour_does_not_fire_it_again() -> None:
    # 06:10Z is 01:10 EST, the second 01:10 of the night: 01:30 already fired at 05:30Z (EDT)
    assert fires("30 1 * * *", "2026-11-01T06:10:00Z", 1, "America/New_York") == ["2026-11-02T01:30:00-05:00"]
