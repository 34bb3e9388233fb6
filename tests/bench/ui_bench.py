"""`make bench`, UI rows, in Debian's headless Chromium:

  functions page  200 functions deployed: navigation start → all 200 rows drawn, by the page's own
                  performance mark (target ≤ 300 ms)
  log view        10,000 invocations arriving live on the Logs page: the gaps between animation
                  frames while they arrive (p50, p99, max) and the main thread's long tasks, and a
                  text filter over the 10,000 kept
  baseline        the same 10,000 calls with the Clock page open (no log view): what the machine
                  alone costs the frames, for comparison

The emulator runs in this process on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from emulator.config import Config  # noqa: E402
from emulator.pytest_plugin import Emulator, EmulatorThread  # noqa: E402

FUNCTIONS = 200
ENTRIES = 10_000
PAINT_TARGET_MS = 300.0
CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
FRAME_GAPS = """() => { window.gaps = []; window.longTasks = []; window.stopGaps = false; let last = performance.now();
  const tick = (t) => { window.gaps.push(t - last); last = t; if (!window.stopGaps) requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => { for (const e of list.getEntries()) window.longTasks.push(e.duration); })
    .observe({ type: "longtask" }); }"""


def _flood(page: Any, emu: Emulator, done: str) -> tuple[float, list[float], list[float]]:
    """ENTRIES calls from 8 threads while the page's frames are timed, until `done` holds in the
    page: the seconds it took, the gaps between frames and the main thread's tasks over 50 ms."""
    page.evaluate(FRAME_GAPS)
    started = time.perf_counter()
    with httpx.Client(base_url=emu.url, headers={"Authorization": f"Bearer {emu.token}"}) as http, \
            ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda n: http.get(f"/v1/local/fn/fn-{n % 8:03d}"), range(ENTRIES)))
    page.wait_for_function(done, timeout=120_000)
    arrived = time.perf_counter() - started
    gaps, long_tasks = page.evaluate("window.stopGaps = true; [window.gaps, window.longTasks]")
    return arrived, sorted(gaps), long_tasks


def _frames(gaps: list[float], long_tasks: list[float]) -> str:
    return (f"frame gap p50 {gaps[len(gaps) // 2]:.0f} ms, p99 {gaps[int(len(gaps) * 0.99)]:.0f} ms, "
            f"max {gaps[-1]:.0f} ms; main-thread tasks over 50 ms: {len(long_tasks)}, "
            f"longest {max(long_tasks, default=0):.0f} ms")


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("ui: skipped (no chromium)")
        return
    from playwright.sync_api import sync_playwright

    thread = EmulatorThread(Config(port=0, idle_worker_seconds=5, max_workers_per_function=2))
    emu = Emulator(thread, thread.start())
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda n: emu.deploy(f"fn-{n:03d}", CODE), range(FUNCTIONS)))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"{emu.url}/_emu/ui#token={emu.token}")
            page.wait_for_selector(f"#functions-table tbody tr:nth-child({FUNCTIONS})")
            paints = []
            for _ in range(5):  # the page's own mark, in ms from the navigation's start
                page.reload()
                page.wait_for_selector(f"#functions-table tbody tr:nth-child({FUNCTIONS})")
                paints.append(page.evaluate("performance.getEntriesByName('fnemu:functions-drawn')[0].startTime"))
            paint = statistics.median(paints)
            print(f"ui functions page, {FUNCTIONS} functions: median {paint:.0f} ms, max {max(paints):.0f} ms "
                  f"(target ≤ {PAINT_TARGET_MS:.0f} ms) {'ok' if paint <= PAINT_TARGET_MS else 'OVER'}")

            page.goto(f"{emu.url}/_emu/ui#/logs")
            page.wait_for_selector("#log-table")
            arrived, gaps, long_tasks = _flood(page, emu, f"document.querySelector('#log-count').textContent"
                                                          f".includes('of {ENTRIES} kept')")
            print(f"ui log view, {ENTRIES} entries live in {arrived:.1f} s: {_frames(gaps, long_tasks)}")
            filtered = []
            for text in ("fn-003", "no such text", ""):
                t0 = time.perf_counter()
                page.fill("#f-text", text)
                page.wait_for_function("document.querySelector('#log-count').textContent.includes('shown')")
                filtered.append((time.perf_counter() - t0) * 1000)
            print(f"ui log view, a text filter over {ENTRIES} entries: max {max(filtered):.0f} ms")
            page.goto(f"{emu.url}/_emu/ui#/clock")
            page.wait_for_selector("#clock-now")
            arrived, gaps, long_tasks = _flood(page, emu, "true")
            print(f"ui baseline, the Clock page open while {ENTRIES} calls run ({arrived:.1f} s): "
                  f"{_frames(gaps, long_tasks)}")
            browser.close()
    finally:
        emu.close()
        thread.stop()


if __name__ == "__main__":
    main()
