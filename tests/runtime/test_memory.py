"""§5 the parent's memory watch, read from a real process's /proc entries."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from emulator.errors import WorkerOutOfMemory
from emulator.runtime.memory import MemoryWatch

HOLD_MB = 48


@pytest.fixture(scope="module")
def holder() -> Iterator[int]:
    """A process holding HOLD_MB of touched memory until the tests end; its pid."""
    proc = subprocess.Popen([sys.executable, "-c", f"b = b'x' * ({HOLD_MB} << 20); print('held', flush=True); input()"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    yield proc.pid
    proc.kill()
    proc.wait()
    assert proc.stdin is not None
    proc.stdin.close()
    proc.stdout.close()


def test_past_its_limit_a_watched_process_is_reported_with_what_the_function_used(holder: int) -> None:
    watch = MemoryWatch(holder, memory_mb=16)
    watch.arm(40 << 10)  # the bootstrap's limit: its own RSS at start plus memory_mb
    try:
        detail = watch.check()
        assert detail is not None
        used_mb, rss_mb = (int(n) for n in detail.removeprefix("the function used ").removesuffix(" MB)")
                           .split(" MB (RSS "))
        assert rss_mb >= HOLD_MB and used_mb == rss_mb - (40 - 16)
        assert watch.seen_kb >= HOLD_MB << 10
    finally:
        watch.close()


def test_under_its_limit_the_watch_says_nothing(holder: int) -> None:
    watch = MemoryWatch(holder, memory_mb=1024)
    watch.arm(2 << 20)
    try:
        assert watch.check() is None
        assert watch.seen_kb >= HOLD_MB << 10
    finally:
        watch.close()


def test_a_worker_that_names_no_limit_is_not_watched(holder: int) -> None:
    watch = MemoryWatch(holder, memory_mb=128)
    watch.arm(None)
    assert watch.limit_kb == 0


def test_the_peak_is_read_from_the_process(holder: int) -> None:
    assert MemoryWatch(holder, memory_mb=128).peak_kb() >= HOLD_MB << 10


def test_a_gone_process_has_no_peak() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert MemoryWatch(proc.pid, memory_mb=128).peak_kb() == 0


def test_the_verdict_carries_the_limit_the_console_and_the_peak() -> None:
    watch = MemoryWatch(1, memory_mb=64)
    watch.scan_stderr(b"<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - "
                      b"JavaScript heap out of memory\n")
    assert watch.heap_oom
    exc = watch.out_of_memory("JavaScript heap out of memory", memory_kb=70_000,
                              console=[("log", "allocating", 1.0)])
    assert isinstance(exc, WorkerOutOfMemory)
    assert exc.message == "memory limit exceeded (64 MB): JavaScript heap out of memory"
    assert (exc.status, exc.failure, exc.memory_kb, exc.console) == (500, "out_of_memory", 70_000,
                                                                      [("log", "allocating", 1.0)])
