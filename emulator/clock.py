"""Emulator time: the wall clock plus an offset that `clock advance` moves.

Everything that stamps or schedules (logs, cron) reads time here, so tests can move it.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

__all__ = ["Clock", "iso"]


class Clock:
    __slots__ = ("_offset",)

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch on the emulator clock."""
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        self._offset += seconds
        return self.now()

    def reset(self) -> None:
        self._offset = 0.0


_iso_second = -1
_iso_prefix = ""


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and `Z` (CONTRACT §4). The part up to the second is
    reused while the second lasts: every log line and entry formats one."""
    global _iso_second, _iso_prefix
    frac, whole = math.modf(ts)  # rounded as datetime.fromtimestamp rounds
    second, micros = int(whole), round(frac * 1_000_000)
    if micros >= 1_000_000:
        second, micros = second + 1, micros - 1_000_000
    elif micros < 0:
        second, micros = second - 1, micros + 1_000_000
    if second != _iso_second:
        _iso_prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
        _iso_second = second
    return f"{_iso_prefix}{micros // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Parse an ISO date or date-time; naive values are UTC. Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
