"""Every invocation's log entry, bounded per function, with the metrics derived from them."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from .clock import iso
from .events.request import HttpRequest

__all__ = ["KEPT_BODY_BYTES", "FunctionLog", "LogEntry", "LogStore"]

_GENERATIONS_KEPT = 5
KEPT_BODY_BYTES = 256 * 1024
"""Every invocation's request (and event) is kept with its log entry when the request's body is at
most this size: what a replay runs again (CONTRACT §13). Kept by reference: nothing is copied."""


@dataclass(slots=True)
class LogEntry:
    """One invocation; times are kept as floats and formatted only when read."""

    id: str
    app_id: str
    function: str
    trigger: str
    timestamp: float
    method: str
    path: str
    status_code: int
    duration_ms: float
    memory_mb: float
    error: str | None
    console: list[tuple[str, str, float]] = field(default_factory=list)
    source: str | None = None
    """A webhook delivery's signature scheme (`github`, `stripe`, ...), when it was checked."""
    request: HttpRequest | None = None
    """The request, when its body was at most KEPT_BODY_BYTES."""
    tool: dict[str, Any] | None = None
    """An agent tool call's `{caller, input, approval_id?}`."""
    event: dict[str, Any] | None = None
    """A non-HTTP trigger's event (what `lambda` handlers got), kept with the request."""
    replay_of: str | None = None
    """The id of the entry this invocation replayed."""
    summary: str | None = None
    """What fired it in its trigger's words (`cron 09:00`, `s3 uploads/in/a.png`), from the
    trigger that fired it; None: the trigger, method and path (`described`)."""
    trace: list[tuple[str, float, float]] = field(default_factory=list)
    """The invocation's phases as (name, start ms, duration ms), measured by the runtime."""
    debug: bool = False
    """The function ran under a debugger (its timeout paused while one held the worker)."""

    @property
    def described(self) -> str:
        """The invocation for people: the terminal's line (`http GET /x`, `webhook github`)."""
        return self.summary or f"{self.trigger} {self.method} {self.path}"

    @property
    def failed(self) -> bool:
        return self.error is not None or self.status_code >= 500

    @staticmethod
    def format_console(console: list[tuple[str, str, float]]) -> list[dict[str, Any]]:
        return [{"level": lv, "message": msg, "timestamp": iso(ts)} for lv, msg, ts in console]

    def to_json(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "function": self.function,
            "trigger": self.trigger,
            "timestamp": iso(self.timestamp),
            "method": self.method,
            "path": self.path,
            "status_code": self.status_code,
            "duration_ms": self.duration_ms,
            "memory_mb": self.memory_mb,
            "error": self.error,
            "consoleLogs": self.format_console(self.console),
            "trace": [{"name": n, "start_ms": s, "duration_ms": d} for n, s, d in self.trace],
        }
        if self.source is not None:
            out["source"] = self.source
        if self.tool is not None:
            out["tool"] = self.tool
        if self.replay_of is not None:
            out["replay_of"] = self.replay_of
        if self.debug:
            out["debug"] = True
        return out


Listener = Callable[[LogEntry], None]


class FunctionLog:
    """One function's entries (oldest dropped past the bound) and its lifetime counters."""

    __slots__ = ("_entries", "_listeners", "duration_total", "errors", "last", "total")

    def __init__(self, bound: int, listeners: list[Listener]) -> None:
        self._entries: deque[LogEntry] = deque(maxlen=bound)
        self._listeners = listeners
        self.total = 0
        self.errors = 0
        self.duration_total = 0.0
        self.last: float | None = None

    def append(self, entry: LogEntry) -> None:
        self._entries.append(entry)
        self.total += 1
        if entry.failed:
            self.errors += 1
        self.duration_total += entry.duration_ms
        self.last = entry.timestamp
        for listener in self._listeners:
            listener(entry)

    def newest_first(self) -> Iterable[LogEntry]:
        return reversed(self._entries)

    def find(self, entry_id: str) -> LogEntry | None:
        return next((e for e in self.newest_first() if e.id == entry_id), None)

    def metrics(self) -> dict[str, Any]:
        total = self.total
        return {
            "total_invocations": total,
            "error_count": self.errors,
            "error_rate": round(100.0 * self.errors / total, 2) if total else 0.0,
            "avg_duration_ms": round(self.duration_total / total, 3) if total else 0.0,
            "last_invocation": iso(self.last) if self.last is not None else None,
        }


class LogStore:
    """Logs per (app, function name); a deleted function's logs stay readable."""

    __slots__ = ("_bound", "_deleted", "_live", "listeners")

    def __init__(self, bound: int) -> None:
        self._bound = bound
        self.listeners: list[Listener] = []
        """Called with every new entry (the terminal, log followers)."""
        self._live: dict[tuple[str, str], FunctionLog] = {}
        self._deleted: dict[tuple[str, str], deque[FunctionLog]] = {}

    def open(self, app_id: str, name: str) -> FunctionLog:
        """The log of a newly created function (metrics start from zero)."""
        log = FunctionLog(self._bound, self.listeners)
        self._live[(app_id, name)] = log
        return log

    def retire(self, app_id: str, name: str) -> None:
        log = self._live.pop((app_id, name), None)
        if log is not None:
            self._deleted.setdefault((app_id, name), deque(maxlen=_GENERATIONS_KEPT)).append(log)

    def has_deleted(self, app_id: str, name: str) -> bool:
        return (app_id, name) in self._deleted

    def query(self, app_id: str, name: str, *, limit: int, since: float | None = None,
              errors_only: bool = False, include_deleted: bool = False) -> list[LogEntry]:
        """Newest first."""
        logs: list[FunctionLog] = []
        live = self._live.get((app_id, name))
        if live is not None:
            logs.append(live)
        if include_deleted:
            logs.extend(reversed(self._deleted.get((app_id, name), ())))
        entries: Iterable[LogEntry]
        if len(logs) == 1:
            entries = logs[0].newest_first()
        else:
            entries = sorted((e for log in logs for e in log.newest_first()),
                             key=lambda e: e.timestamp, reverse=True)
        if since is not None:
            entries = (e for e in entries if e.timestamp >= since)
        if errors_only:
            entries = (e for e in entries if e.failed)
        return list(islice(entries, limit))

    def find(self, entry_id: str) -> LogEntry | None:
        """The live entry with this id, whichever function it belongs to."""
        return next((e for log in self._live.values() if (e := log.find(entry_id)) is not None), None)

    def clear(self) -> None:
        self._live.clear()
        self._deleted.clear()
