"""`make bench`, folder rows (issue 5): save → first response showing the new code, and start-up.

  reload    20 saves of one function file, each followed by requests until the response shows the
            saved code: p50 and max of save → first new response, for Python and for Node; the
            saves SAVE_PAUSE apart (as a person saves: the spare the last save's worker took has
            been replaced; the target's row), then back to back (each save waits for the spare
            the last one's replacement is still starting)
  start-up  process start → the ready line, with 0, 10 and 200 functions in the folder

Every process is started here, on 127.0.0.1, and stopped by its pid.
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "fnemu-dev-token"
SAVES = 20
DEADLINE = 10.0
TARGETS = {"python": 50.0, "node": 100.0}
SAVE_PAUSE = 0.5
"""Seconds between a save's first new response and the next save, in the target's row."""
START_TARGETS = {10: 500.0, 200: 2000.0}

CODE = {
    "python": ("hello.py", "def handler(event, context):\n    return {{'statusCode': 200, 'body': '{marker}'}}\n"),
    "node": ("hello.mjs", "export const handler = async () => ({{ statusCode: 200, body: '{marker}' }});\n"),
}


def start(folder: Path) -> tuple[subprocess.Popen[str], str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--functions-dir",
                             str(folder)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"fnemu did not start: {line!r}")
    return proc, match.group(1), elapsed


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


def body(conn: http.client.HTTPConnection) -> str:
    conn.request("GET", "/v1/local/fn/hello", headers={"Authorization": f"Bearer {TOKEN}"})
    response = conn.getresponse()
    return response.read().decode()


def reload_times(language: str, pause: float) -> list[float]:
    filename, template = CODE[language]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / filename
        path.write_text(template.format(marker="start"))
        proc, port, _ = start(folder)
        conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=DEADLINE)
        times = []
        try:
            deadline = time.monotonic() + DEADLINE
            while body(conn) != "start":
                if time.monotonic() > deadline:
                    raise SystemExit("the function never served")
            for i in range(SAVES):
                marker = f"save-{i}"
                saved = time.perf_counter()
                path.write_text(template.format(marker=marker))
                deadline = time.monotonic() + DEADLINE
                while body(conn) != marker:
                    if time.monotonic() > deadline:
                        raise SystemExit(f"save {i} never served")
                times.append((time.perf_counter() - saved) * 1000)
                time.sleep(pause)
        finally:
            conn.close()
            stop(proc)
    return times


def start_up_ms(count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(count):
            (folder / f"fn{i}.py").write_text(CODE["python"][1].format(marker=i))
        best = float("inf")
        for _ in range(3):
            proc, _, elapsed = start(folder)
            stop(proc)
            best = min(best, elapsed * 1000)
    return best


def main() -> None:
    """Prints the figures with their targets; a missed target is printed, not an error."""
    print(f"\nfolder (machine: {os.cpu_count()} cores)")
    print(f"{'reload: save → new response':<34} {'p50 ms':>8} {'max ms':>8}   target")
    for language in ("python", "node"):
        times = reload_times(language, SAVE_PAUSE)
        p50 = statistics.median(times)
        passed = p50 <= TARGETS[language]
        print(f"  {f'{language}, saves {SAVE_PAUSE} s apart':<32} {p50:8.1f} {max(times):8.1f}   "
              f"p50 <= {TARGETS[language]:.0f} ms {'ok' if passed else 'FAIL'}")
        times = reload_times(language, 0)
        print(f"  {f'{language}, back to back':<32} {statistics.median(times):8.1f} {max(times):8.1f}")
    print(f"{'start-up: process → ready line':<34} {'best ms':>8}")
    for count in (0, 10, 200):
        ms = start_up_ms(count)
        target = START_TARGETS.get(count)
        verdict = ""
        if target is not None:
            passed = ms <= target
            verdict = f"<= {target:.0f} ms {'ok' if passed else 'FAIL'}"
        print(f"  {count:>3} functions{'':<19} {ms:8.0f}            {verdict}")


if __name__ == "__main__":
    main()
