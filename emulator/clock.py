"""Emulator time: the wall clock plus an offset that `clock advance` moves.

Everything that stamps or schedules (logs, cron) reads time here, so tests can move it.
"""

from __future__ import annotations

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


def iso(ts: float) -> str:
    """ISO 8601 UTC with milliseconds and `Z` (CONTRACT §4)."""
    dt = datetime.fromtimestamp(ts, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """Parse an ISO date or date-time; naive values are UTC. Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()
