"""`make bench`, folder rows: save → first response showing the new code.

  reload    20 saves of one function file, each followed by requests until the response shows the
            saved code: p50 and max of save → first new response, for Python and for Node; the
            saves SAVE_PAUSE apart (as a person saves: the spare the last save's worker took has
            been replaced; the target's row), then back to back (each save waits for the spare
            the last one's replacement is still starting)

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

CODE = {
    "python": ("hello.py", "def handler(event, context):\n    return {{'statusCode': 200, 'body': '{marker}'}}\n"),
    "node": ("hello.mjs", "export const handler = async () => ({{ statusCode: 200, body: '{marker}' }});\n"),
}


def start(folder: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--functions-dir",
                             str(folder)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"fnemu did not start: {line!r}")
    return proc, match.group(1)


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
        proc, port = start(folder)
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

if __name__ == "__main__":
    main()
