"""`make bench` (after bench.py): a year of `*/5 * * * *` through `clock advance`, against test-invoke.

One `fnemu start --clock frozen=...` process on 127.0.0.1 serves two copies of a trivial Python
function: `tick` with the cron trigger, `plain` without. Measured:
  advance       one `POST /_emu/clock/advance` over DAYS days: wall time, fires per second
  test-invoke   INVOKES sequential `POST .../invoke` of `plain` on one keep-alive connection
  worker        each function's `avg_duration_ms` (metrics): the round trip through its worker
  schedule      the same year of fire times computed alone (croniter plus the DST rules), in-process
Overhead is the wall time per fire (or per test-invoke) minus the worker round trip: what the
emulator itself adds. A test-invoke's includes the HTTP request and response; a fire's does not.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from emulator.clock import parse_iso  # noqa: E402
from emulator.triggers.schedule import parse_schedule  # noqa: E402

TOKEN = "fnemu-dev-token"
START = "2026-01-01T00:00:00Z"
SCHEDULE = "*/5 * * * *"
CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"
INVOKES = 5000
WARMUP = 200


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--clock",
                             f"frozen={START}"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    match = re.search(r"http://127\.0\.0\.1:\d+", proc.stdout.readline())
    if not match:
        proc.kill()
        raise SystemExit("fnemu did not print its URL")
    return proc, match.group(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=365, help="how far to advance (default: a year)")
    days = parser.parse_args().days
    proc, url = start_server()
    try:
        with httpx.Client(base_url=url, timeout=None, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for name, triggers in (("tick", [{"type": "cron", "config": {"schedule": SCHEDULE}}]), ("plain", None)):
                http.post("/v1/local/functions", json={"name": name, "code": CODE, "triggers": triggers}
                          if triggers else {"name": name, "code": CODE}).raise_for_status()
            for _ in range(WARMUP):
                http.post("/v1/local/functions/plain/invoke", json={}).raise_for_status()
                http.post("/_emu/cron/local/tick").raise_for_status()
            started = time.perf_counter()
            for _ in range(INVOKES):
                http.post("/v1/local/functions/plain/invoke", json={}).raise_for_status()
            invoke_s = (time.perf_counter() - started) / INVOKES

            started = time.perf_counter()
            result = http.post("/_emu/clock/advance", json={"seconds": days * 86400})
            advance_s = time.perf_counter() - started
            result.raise_for_status()
            fired = result.json()["fired"]
            worker = {name: http.get(f"/v1/local/functions/{name}").json()["metrics"]["avg_duration_ms"]
                      for name in ("tick", "plain")}
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)

    schedule = parse_schedule(SCHEDULE, ZoneInfo("UTC"))
    started = time.perf_counter()
    computed = sum(1 for _ in islice(schedule.after(parse_iso(START)), len(fired)))
    schedule_us = (time.perf_counter() - started) / computed * 1e6

    fire_us = advance_s / len(fired) * 1e6
    ok = sum(1 for f in fired if f["status_code"] == 200)
    print(f"cron bench: {SCHEDULE} over {days} days, a trivial Python lambda, frozen clock")
    print(f"  fires                    {len(fired):>10,}  ({ok:,} answered 200)")
    print(f"  advance wall time        {advance_s:>10.2f} s")
    print(f"  fires per second         {len(fired) / advance_s:>10,.0f}")
    print(f"  per fire                 {fire_us:>10.1f} us   (worker {worker['tick'] * 1000:.1f} us, "
          f"emulator overhead {fire_us - worker['tick'] * 1000:.1f} us, of it schedule {schedule_us:.1f} us)")
    print(f"  per test-invoke          {invoke_s * 1e6:>10.1f} us   (worker {worker['plain'] * 1000:.1f} us, "
          f"emulator + HTTP overhead {invoke_s * 1e6 - worker['plain'] * 1000:.1f} us)")
    print(f"  fire / test-invoke       {fire_us / (invoke_s * 1e6):>10.2f} x")


if __name__ == "__main__":
    main()
