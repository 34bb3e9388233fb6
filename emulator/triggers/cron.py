"""§6 cron: fires each function's schedule on the emulator clock, on time or as the clock is moved.

While the clock follows real time, one timer (re-armed at every change) wakes at the earliest
due fire. `advance`/`set_time` hold the clock and step it through every occurrence in the window,
in time order, each run awaited before the next. A run that is still going when its function is
due again is skipped and logged (as hosted schedulers do), never queued.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from ..clock import iso
from ..errors import BadRequest, NotFound, TooManyRequests
from ..events.scheduled import scheduled_event
from .base import Deployed, Trigger, TriggerContext, TriggerType
from .schedule import Schedule, ScheduleError, parse_schedule, parse_timezone

__all__ = ["CRON", "CronTrigger", "Fire", "validate"]

_log = logging.getLogger("fnemu.cron")
_FIELDS = ("schedule", "timezone")
_MAX_TIMER_S = 30.0
"""The timer runs on the monotonic clock, which stands still while the machine sleeps: waking at
least this often notices a sleep and fires the missed tick (once)."""

Key = tuple[str, str]


def validate(config: Mapping[str, Any], field: str) -> dict[str, Any]:
    """The config with defaults filled in; BadRequest naming the field otherwise."""
    for key in config:
        if key not in _FIELDS:
            raise BadRequest(f"{field}.{key}: unknown cron trigger field; allowed: {', '.join(_FIELDS)}",
                             f"{field}.{key}")
    try:
        zone = parse_timezone(config.get("timezone", "UTC"))
    except ScheduleError as exc:
        raise BadRequest(f"{field}.timezone: {exc}", f"{field}.timezone") from None
    try:
        schedule = parse_schedule(config.get("schedule"), zone)
    except ScheduleError as exc:
        raise BadRequest(f"{field}.schedule: {exc}", f"{field}.schedule") from None
    return {"schedule": schedule.expression, "timezone": zone.key}


def _schedule(config: Mapping[str, Any]) -> Schedule:
    """A validated config's schedule."""
    return Schedule(config["schedule"], ZoneInfo(config["timezone"]))


@dataclass(frozen=True, slots=True)
class Fire:
    """One occurrence the clock passed: run (`status` is its status code) or skipped (None)."""

    function: str
    scheduled: float
    status: int | None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"function": self.function, "scheduledTime": iso(self.scheduled)}
        if self.status is None:
            out["reason"] = "the previous run was still going"
        else:
            out["status_code"] = self.status
        return out


class _Armed:
    """A function's schedule and its next due fire."""

    __slots__ = ("due", "fn", "schedule", "_times")

    def __init__(self, fn: Deployed, schedule: Schedule, after: float) -> None:
        self.fn = fn
        self.schedule = schedule
        self._times: Iterator[float] = iter(())
        self.due = 0.0
        self.rearm(after)

    def rearm(self, after: float) -> None:
        self._times = self.schedule.after(after)
        self.due = next(self._times)

    def step(self) -> None:
        self.due = next(self._times)

    def order(self) -> tuple[float, str, str]:
        return self.due, self.fn.app_id, self.fn.name


class CronTrigger(Trigger):
    type: ClassVar[str] = "cron"

    def __init__(self, context: TriggerContext) -> None:
        self._context = context
        self._clock = context.clock
        self._armed: dict[Key, _Armed] = {}
        self._running: dict[Key, int] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._moving = asyncio.Lock()
        self._started = False

    def attach(self, fn: Deployed) -> None:
        key = (fn.app_id, fn.name)
        trigger = fn.current.spec.trigger("cron")
        if trigger is None:
            self._armed.pop(key, None)
        else:
            self._armed[key] = _Armed(fn, _schedule(trigger.config), self._clock.now())
        self._arm()

    def detach(self, fn: Deployed) -> None:
        self._armed.pop((fn.app_id, fn.name), None)
        self._arm()

    def describe(self, fn: Deployed, base_url: str) -> str:
        """The next fire time in the trigger's own zone, for people."""
        armed = self._armed.get((fn.app_id, fn.name))
        if armed is None:
            return ""
        local = datetime.fromtimestamp(armed.due, armed.schedule.zone)
        return f"next {local:%Y-%m-%d %H:%M} {armed.schedule.zone.key}"

    async def start(self) -> None:
        self._started = True
        self._arm()

    async def reset(self) -> None:
        now = self._clock.now()
        for armed in self._armed.values():
            armed.rearm(now)
        self._arm()

    async def close(self) -> None:
        self._started = False
        self._arm()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def upcoming(self) -> list[tuple[Deployed, Schedule, float]]:
        """Each armed function's next fire, soonest first."""
        return [(a.fn, a.schedule, a.due) for a in sorted(self._armed.values(), key=_Armed.order)]

    async def fire(self, fn: Deployed) -> Any:
        """`POST /_emu/cron/...`: run now, whatever is running; the scheduled time is now."""
        if fn.current.spec.trigger("cron") is None:
            raise NotFound(f"function {fn.name!r} has no cron trigger", "name")
        return await self._run(fn, self._clock.now())

    async def advance(self, seconds: float) -> list[Fire]:
        async with self._moving:
            return await self._move_to(self._clock.now() + seconds)

    async def set_time(self, ts: float) -> list[Fire]:
        """Jump: forward fires what it passes, as an advance; backward fires nothing and
        schedules every function from the new time."""
        async with self._moving:
            if ts >= self._clock.now():
                return await self._move_to(ts)
            self._clock.set(ts)
            await self.reset()
            return []

    async def reset_clock(self) -> None:
        """The clock back to its start; nothing fires, every function is scheduled from there."""
        async with self._moving:
            self._clock.reset()
            await self.reset()

    async def _move_to(self, end: float) -> list[Fire]:
        self._clock.hold()
        self._arm()
        fires: list[Fire] = []
        try:
            while self._armed and self._started:  # a stop ends an advance after its current run
                armed = min(self._armed.values(), key=_Armed.order)
                if armed.due > end:
                    break
                fn, scheduled = armed.fn, armed.due
                armed.step()
                self._clock.set(scheduled)
                if self._busy(fn, scheduled):
                    fires.append(Fire(fn.name, scheduled, None))
                else:
                    fires.append(Fire(fn.name, scheduled, await self._scheduled_run(fn, scheduled)))
        finally:
            self._clock.set(end)
            self._clock.release()
            self._arm()
        return fires

    def _arm(self) -> None:
        """(Re)set the one timer for the soonest due fire; none while the clock stands still."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._started or not self._clock.running or not self._armed:
            return
        due = min(a.due for a in self._armed.values())
        delay = min(max(due - self._clock.now(), 0.0), _MAX_TIMER_S)
        self._timer = asyncio.get_running_loop().call_later(delay, self._tick)

    def _tick(self) -> None:
        self._timer = None
        now = self._clock.now()
        for armed in sorted((a for a in self._armed.values() if a.due <= now), key=_Armed.order):
            fn, scheduled = armed.fn, armed.due
            armed.step()
            if armed.due <= now:  # ticks missed while the machine slept fire once
                armed.rearm(now)
            if not self._busy(fn, scheduled):
                task = asyncio.create_task(self._scheduled_run(fn, scheduled))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        self._arm()

    def _busy(self, fn: Deployed, scheduled: float) -> bool:
        """Still running from before: skip this occurrence, and say so."""
        if not self._running.get((fn.app_id, fn.name)):
            return False
        _log.warning("cron %s/%s: skipped the run scheduled for %s: the previous run is still going",
                     fn.app_id, fn.name, iso(scheduled))
        return True

    def sample_event(self, fn: Deployed) -> dict[str, Any]:
        """The event a fire now would hand the function (test-invoke with trigger cron)."""
        return self._event(fn, self._clock.now())

    def _event(self, fn: Deployed, scheduled: float) -> dict[str, Any]:
        return scheduled_event(app_id=fn.app_id, name=fn.name, scheduled=scheduled, region=self._context.config.region)

    async def _scheduled_run(self, fn: Deployed, scheduled: float) -> int:
        """A run the schedule makes: its status; 429 when the function's queue is full (the
        runtime logs the refusal) rather than an error nobody awaits."""
        try:
            inv = await self._run(fn, scheduled)
        except TooManyRequests as exc:
            return exc.status
        return int(inv.status)

    async def _run(self, fn: Deployed, scheduled: float) -> Any:
        key = (fn.app_id, fn.name)
        self._running[key] = self._running.get(key, 0) + 1
        try:
            armed = self._armed.get(key)
            zone = armed.schedule.zone if armed is not None else None
            return await self._context.invoker.invoke_event(
                fn, "cron", self._event(fn, scheduled),
                summary=f"cron {datetime.fromtimestamp(scheduled, zone or UTC):%H:%M}")
        finally:
            self._running[key] -= 1
            if not self._running[key]:
                del self._running[key]


CRON = TriggerType("cron", validate, CronTrigger)
