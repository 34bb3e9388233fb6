"""`make soak`: the load mix against a real `fnemu start`, round after round for SOAK_MINUTES
(default 5), printing the RSS of the server and of its workers after each round. Target: after
warm-up, at most 5% growth over 10,000 calls; exit status 1 past it. Warm-up lasts until every
function's log holds its bound (1,000 entries each, kept in memory by design), plus a round."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from tests.process import start_server
from tests.reliability.load_mix import run_mix, write_folder
from tests.runtime.procs import descendants

ROUND = 2000
CONCURRENCY = 32
TARGET_GROWTH = 0.05
WARMUP_CALLS = 11 * 1000 + ROUND
"""Eleven functions' logs full (--max-log-entries 1000), then a round more."""


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return 0


def main() -> int:
    minutes = float(os.environ.get("SOAK_MINUTES", "5"))
    with tempfile.TemporaryDirectory(prefix="fnemu-soak-") as tmp:
        folder = Path(tmp) / "functions"
        write_folder(folder)
        server = start_server(Path(tmp), "--functions-dir", str(folder), "--clock", "frozen", watch=True)
        try:
            return _soak(server.url, folder, server.proc.pid, minutes)
        finally:
            server.proc.send_signal(signal.SIGTERM)
            server.stop()


def _soak(url: str, folder: Path, pid: int, minutes: float) -> int:
    print(f"soak: {minutes:g} min, rounds of {ROUND} calls at concurrency {CONCURRENCY}")
    print(f"{'round':>5} {'calls':>7} {'req/s':>6} {'p99 ms':>7} {'server MB':>9} {'workers':>7} {'workers MB':>10}")
    ends = time.monotonic() + minutes * 60
    calls = 0
    samples: list[tuple[int, int, int]] = []
    version = 1
    n = 0
    while time.monotonic() < ends or calls < WARMUP_CALLS + 2 * ROUND:
        n += 1
        figures = asyncio.run(run_mix(url, folder, pid, requests=ROUND, concurrency=CONCURRENCY, version=version))
        version += figures.saves
        if figures.statuses != {200: ROUND}:
            print(f"soak: unanswered or failed calls: {dict(figures.statuses)}")
            return 1
        calls += ROUND
        workers = descendants(pid)
        server_kb, workers_kb = _rss_kb(pid), sum(_rss_kb(w) for w in workers)
        if calls >= WARMUP_CALLS:
            samples.append((calls, server_kb, workers_kb))
        s = figures.summary()
        print(f"{n:>5} {calls:>7} {s['req_per_s']:>6} {s['p99_ms']:>7} {server_kb / 1024:>9.1f} {len(workers):>7} "
              f"{workers_kb / 1024:>10.1f}", flush=True)
    (c0, s0, w0), (c1, s1, w1) = samples[0], samples[-1]
    growth = (s1 - s0) / s0
    per_10k = growth * 10_000 / max(c1 - c0, 1)
    print(f"soak: server RSS {s0 / 1024:.1f} -> {s1 / 1024:.1f} MB over {c1 - c0} calls after warm-up: "
          f"{growth:+.1%} ({per_10k:+.1%} per 10,000 calls; target <= {TARGET_GROWTH:.0%}); "
          f"workers {w0 / 1024:.1f} -> {w1 / 1024:.1f} MB")
    return 0 if per_10k <= TARGET_GROWTH else 1


if __name__ == "__main__":
    sys.exit(main())
