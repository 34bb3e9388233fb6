"""One worker's memory use held against its limit: RSS watchdog, peak read, out-of-memory verdict."""

from __future__ import annotations

import os

from ..errors import ConsoleLine, WorkerOutOfMemory

__all__ = ["WATCH_INTERVAL", "MemoryWatch"]

WATCH_INTERVAL = 0.02
"""Seconds between two looks at a watched worker's RSS during a call; a call that ends sooner
costs no look at all (its timer is the deadline's, which it has anyway)."""
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_HEAP_OOM = b"JavaScript heap out of memory"
"""V8's fatal message on stderr just before it aborts at --max-old-space-size."""


class MemoryWatch:
    """A worker whose runtime cannot bound its own memory (Node: no RLIMIT_AS) names, in its
    ready frame, the RSS it must stay under; its calls are then watched from the parent, as a
    synchronous loop of allocations never lets the child look."""

    __slots__ = ("_memory_mb", "_pid", "_statm", "heap_oom", "limit_kb", "seen_kb")

    def __init__(self, pid: int, memory_mb: int) -> None:
        self._pid = pid
        self._memory_mb = memory_mb
        self._statm = -1
        self.limit_kb = 0
        """Past this RSS the worker is killed mid-call (0: not watched)."""
        self.seen_kb = 0
        """The highest RSS `check` read during the current call."""
        self.heap_oom = False
        """V8 said on stderr that its heap is exhausted."""

    def arm(self, limit_kb: int | None) -> None:
        """Watch the worker's RSS against `limit_kb`, if it names one."""
        if not limit_kb:
            return
        try:
            self._statm = os.open(f"/proc/{self._pid}/statm", os.O_RDONLY)
        except OSError:
            return
        self.limit_kb = limit_kb

    def check(self) -> str | None:
        """One look at the RSS: None while under the limit, else what the function used."""
        rss_kb = self._rss_kb()
        self.seen_kb = max(self.seen_kb, rss_kb)
        if rss_kb <= self.limit_kb:
            return None
        base_kb = self.limit_kb - self._memory_mb * 1024
        return f"the function used {round((rss_kb - base_kb) / 1024)} MB (RSS {round(rss_kb / 1024)} MB)"

    def scan_stderr(self, data: bytes) -> None:
        if _HEAP_OOM in data:
            self.heap_oom = True

    def peak_kb(self) -> int:
        """VmHWM, the peak RSS since the child reset it for this invocation: read only when the
        worker is killed mid-call, as the child cannot report it any more."""
        try:
            with open(f"/proc/{self._pid}/status", "rb") as f:
                status = f.read()
        except OSError:
            return 0
        start = status.find(b"VmHWM:")
        return int(status[start + 6 : status.find(b"kB", start)]) if start >= 0 else 0

    def out_of_memory(self, detail: str | None, *, memory_kb: int,
                      console: list[ConsoleLine] | None = None) -> WorkerOutOfMemory:
        return WorkerOutOfMemory(f"memory limit exceeded ({self._memory_mb} MB): {detail}",
                                 console=console, memory_kb=memory_kb)

    def close(self) -> None:
        if self._statm >= 0:
            os.close(self._statm)
            self._statm = -1

    def _rss_kb(self) -> int:
        try:
            return int(os.pread(self._statm, 64, 0).split()[1]) * _PAGE_KB
        except (OSError, IndexError, ValueError):
            return 0
