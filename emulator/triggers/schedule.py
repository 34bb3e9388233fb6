"""§6 cron schedules: parsing a `{schedule, timezone}` and listing its fire times in UTC.

Pure (no clock, no I/O) so every rule is tested directly. croniter walks *wall-clock* times in the
zone; turning each into an instant is where the DST rules live:

* a wall time in the spring-forward gap (02:30 on the night clocks jump 02:00 → 03:00) fires once,
  at the first valid time after the gap (03:00); several gap times collapse into that one fire;
* a wall time repeated at fall-back (01:30 twice) fires once, at its first occurrence. This holds
  for every expression: `*/15 * * * *` in New York fires 01:00-01:45 EDT and then 02:00 EST.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


__all__ = ["ALIASES", "Schedule", "ScheduleError", "parse_schedule", "parse_timezone"]

ALIASES = ("@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly")
_FIELDS = "minute hour day-of-month month day-of-week"
_AWS_CRON = re.compile(r"^cron\((.*)\)$", re.S)
_AWS_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$")
_UTC = timezone.utc


@functools.cache
def _croniter() -> ModuleType:
    """croniter, imported on first use: ~80 ms of start-up that a folder without crons never pays."""
    import croniter

    module: ModuleType = croniter
    return module


class ScheduleError(ValueError):
    """Why an expression or zone is refused; the message is fit to show a user."""


@dataclass(frozen=True, slots=True)
class Schedule:
    expression: str
    zone: ZoneInfo

    def after(self, ts: float) -> Iterator[float]:
        """Fire times (seconds since the epoch) strictly after `ts`, in order, DST rules applied."""
        start = datetime.fromtimestamp(ts, self.zone).replace(tzinfo=None)
        walls = _croniter().croniter(self.expression, start)
        last = ts
        while True:
            when = self._instant(walls.get_next(datetime))
            if when > last:  # gap times collapse onto the first valid time after the gap
                last = when
                yield when

    def _instant(self, wall: datetime) -> float:
        """The instant of a wall time: its first occurrence if repeated (fold=0), or the end of
        the gap if it does not exist."""
        while True:
            aware = wall.replace(tzinfo=self.zone)
            if aware.astimezone(_UTC).astimezone(self.zone).replace(tzinfo=None) == wall:
                return aware.timestamp()
            wall += timedelta(minutes=1)


def parse_timezone(value: object) -> ZoneInfo:
    if not isinstance(value, str) or not value:
        raise ScheduleError('must be an IANA time zone name, e.g. "UTC" or "Europe/Berlin"')
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f'unknown IANA time zone {value!r}; e.g. "UTC", "America/New_York", '
                            '"Europe/Berlin"') from None


def parse_schedule(value: object, zone: ZoneInfo) -> Schedule:
    """A 5-field expression or an alias that fires at least once; ScheduleError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ScheduleError(f'required, a 5-field cron expression ({_FIELDS}) like "*/5 * * * *", '
                            f"or one of {', '.join(ALIASES)}")
    expression = " ".join(value.split())
    _refuse_aws(expression)
    if expression.startswith("@"):
        if expression.lower() not in ALIASES:
            raise ScheduleError(f"unknown alias {expression!r}; one of {', '.join(ALIASES)}")
        expression = expression.lower()
    else:
        fields = expression.split(" ")
        if len(fields) != 5:
            raise ScheduleError(f"must have 5 fields ({_FIELDS}), got {len(fields)} in {expression!r}")
        if any(token.upper() in ("H", "R") for token in re.split(r"[ ,/#-]", expression)):
            raise ScheduleError(f"{expression!r}: hashed (H) and random (R) fields are not standard cron")
        if not _croniter().croniter.is_valid(expression):
            raise ScheduleError(f"{expression!r} is not a valid cron expression ({_FIELDS}; lists, "
                                "ranges, steps and names like MON-FRI or JAN)")
    schedule = Schedule(expression, zone)
    try:
        next(schedule.after(0.0))
    except _croniter().CroniterBadDateError:
        raise ScheduleError(f"{expression!r} never fires: no date matches its day-of-month and "
                            "month") from None
    return schedule


def _refuse_aws(expression: str) -> None:
    """AWS EventBridge syntax is not the platform's: refuse it, showing the 5-field equivalent."""
    rate = _AWS_RATE.fullmatch(expression)
    if rate and int(rate.group(1)) > 0:
        raise ScheduleError(f"AWS rate() syntax is not supported; use the cron expression "
                            f"{_rate_equivalent(int(rate.group(1)), rate.group(2))}")
    if expression.startswith("rate("):
        raise ScheduleError("AWS rate() syntax is not supported; use a 5-field cron expression, "
                            'e.g. "*/5 * * * *" for rate(5 minutes)')
    aws = _AWS_CRON.fullmatch(expression)
    fields = (aws.group(1) if aws else expression).split()
    if not aws and not (len(fields) == 6 and "?" in expression):
        if "?" in expression:
            raise ScheduleError(f"{expression!r}: '?' is AWS/Quartz syntax, not standard cron; use "
                                f"\"{expression.replace('?', '*')}\"")
        return
    equivalent = _cron_equivalent(fields)
    if equivalent is None:
        raise ScheduleError(f"AWS cron() syntax is not supported and {expression!r} has no 5-field "
                            f"equivalent; write a 5-field expression ({_FIELDS})")
    raise ScheduleError(f'AWS cron() syntax is not supported; use the 5-field expression "{equivalent}"')


def _cron_equivalent(fields: list[str]) -> str | None:
    """AWS `min hour dom month dow year` → 5 fields: no year, `?` → `*`, AWS weekdays 1-7 (SUN=1)
    → 0-6. None when that cannot express it."""
    if len(fields) != 6 or fields[5] not in ("*", "?"):
        return None
    minute, hour, dom, month, dow = (f.replace("?", "*") for f in fields[:5])
    dow = re.sub(r"(?<![#/\d])([1-7])(?!\d)", lambda m: str(int(m.group(1)) - 1), dow)
    candidate = " ".join((minute, hour, dom, month, dow))
    return candidate if _croniter().croniter.is_valid(candidate) else None


def _rate_equivalent(n: int, unit: str) -> str:
    """The cron expression for `rate(n unit)`; cron steps restart each hour/day/month, so a step
    that does not divide it is only the nearest equivalent, and the message says so."""
    unit = unit.rstrip("s")
    if unit == "minute" and n % 60 == 0:
        n, unit = n // 60, "hour"
    if unit == "hour" and n % 24 == 0:
        n, unit = n // 24, "day"
    if unit == "minute":
        expression, exact, period = ("* * * * *" if n == 1 else f"*/{n} * * * *"), 60 % n == 0, "hour"
    elif unit == "hour":
        expression, exact, period = ("0 * * * *" if n == 1 else f"0 */{n} * * *"), 24 % n == 0, "day"
    else:
        expression, exact, period = ("0 0 * * *" if n == 1 else f"0 0 */{n} * *"), n == 1, "month"
    note = "" if exact else f" (the nearest equivalent: cron steps restart every {period})"
    return f'"{expression}"{note}'
