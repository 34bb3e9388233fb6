"""§4 timestamps: `clock.iso`, shared by every emulator in a process (the pytest plugin runs
several, each on its own thread), formats every instant right whatever the other threads do."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from types import FrameType
from typing import Any

import pytest

from emulator.clock import iso


def reference(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _switch_between_lines(frame: FrameType, event: str, arg: Any) -> Any:
    """A trace function for new threads: inside `iso`, hand the GIL to another thread before each
    line, so that every interleaving of two threads' lines gets its chance."""
    if frame.f_code is not iso.__code__:
        return None

    def each_line(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            time.sleep(0)
        return each_line

    return each_line


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    threading.settrace(_switch_between_lines)
    yield
    threading.settrace(None)


def test_iso_formats_milliseconds_and_z() -> None:
    assert iso(1_767_225_600.5) == "2026-01-01T00:00:00.500Z"
    assert iso(1_767_225_599.9996) == "2025-12-31T23:59:59.999Z" == reference(1_767_225_599.9996)
    assert iso(1_767_225_599.9999997) == "2026-01-01T00:00:00.000Z" == reference(1_767_225_599.9999997)


@pytest.mark.usefixtures("eager_thread_switches")
def test_threads_formatting_different_seconds_never_get_each_others_prefix() -> None:
    # Each thread keeps to its own second, so each call finds the cache holding another thread's.
    stamps = [1_767_225_600.125 + 86_400 * 365 * i + i for i in range(4)]
    wrong: list[tuple[str, str]] = []
    start = threading.Barrier(len(stamps))

    def hammer(ts: float) -> None:
        expected = reference(ts)
        start.wait()
        for _ in range(500):
            got = iso(ts)
            if got != expected:
                wrong.append((expected, got))
                return

    threads = [threading.Thread(target=hammer, args=(ts,)) for ts in stamps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
