"""Emulator time: the wall clock plus an offset, or a frozen instant; the cron service moves it.

Everything that stamps or schedules (logs, cron) reads time here, so tests can move it.
`fnemu start --clock frozen[=ISO]` starts it frozen: it then moves only when told to.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

__all__ = ["MAX_MOVE_SECONDS", "Clock", "iso", "parse_clock", "parse_iso"]

MAX_MOVE_SECONDS = 10 * 366 * 86400
"""Ten years: a move further than that is a mistake, and would run for ever on `* * * * *`."""


def parse_clock(option: str) -> tuple[bool, float | None]:
    """`real`, `frozen` (at the wall-clock time of start) or `frozen=ISO` → (frozen, start).
    Raises ValueError with a message naming the rule."""
    if option == "real":
        return False, None
    if option == "frozen":
        return True, None
    if option.startswith("frozen="):
        try:
            return True, parse_iso(option[len("frozen="):])
        except ValueError:
            raise ValueError(f"clock: {option[len('frozen='):]!r} is not an ISO 8601 date-time "
                             "(e.g. 2026-01-01T09:00:00Z)") from None
    raise ValueError(f"clock: must be real, frozen or frozen=ISO (e.g. frozen=2026-01-01T09:00:00Z), "
                     f"got {option!r}")


class Clock:
    __slots__ = ("_frozen", "_held", "_offset", "_start")

    def __init__(self, option: str = "real") -> None:
        self._frozen, self._start = parse_clock(option)
        self._offset = 0.0
        self._held: float | None = None
        """The instant the clock stands at while frozen, or while an advance is firing."""
        self.reset()

    def now(self) -> float:
        """Seconds since the epoch on the emulator clock."""
        held = self._held
        return time.time() + self._offset if held is None else held

    @property
    def frozen(self) -> bool:
        """Configured frozen (`--clock frozen`): it never moves on its own."""
        return self._frozen

    @property
    def running(self) -> bool:
        """Following real time right now (neither frozen nor held by an advance)."""
        return self._held is None

    def set(self, ts: float) -> None:
        if self._held is None:
            self._offset = ts - time.time()
        else:
            self._held = ts

    def hold(self) -> None:
        """Stop at the current instant until `release`: an advance steps through its fires."""
        self._held = self.now()

    def release(self) -> None:
        """Back to following real time from where the clock stands (stays put when frozen)."""
        if not self._frozen and self._held is not None:
            self._offset, self._held = self._held - time.time(), None

    def reset(self) -> None:
        """Back to the start: the wall clock (stopped there if `frozen`), or the `frozen=ISO` instant."""
        self._offset = 0.0
        self._held = (self._start if self._start is not None else time.time()) if self._frozen else None


_iso_cache: tuple[int, str] = (-1, "")
"""(second, its formatted prefix), swapped as one tuple: a thread never sees a second with another
second's prefix (the pytest plugin runs several emulators in one process, on their own threads)."""


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and `Z` (CONTRACT §4). The part up to the second is
    reused while the second lasts: every log line and entry formats one."""
    global _iso_cache
    frac, whole = math.modf(ts)  # rounded as datetime.fromtimestamp rounds
    second, micros = int(whole), round(frac * 1_000_000)
    if micros >= 1_000_000:
        second, micros = second + 1, micros - 1_000_000
    elif micros < 0:
        second, micros = second - 1, micros + 1_000_000
    cached_second, prefix = _iso_cache
    if second != cached_second:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        _iso_cache = (second, prefix)
    return f"{prefix}{micros // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Parse an ISO date or date-time; naive values are UTC. Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
