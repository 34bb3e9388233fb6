"""`make bench`, start-up rows: `fnemu start` to its ready line, beside a bare aiohttp handler.

  bare aiohttp     tests/bench/bare_server.py (the same interpreter, loop and runner settings)
  10 functions     a folder of 10 Python functions
  200 functions    a folder of 200 (its table has 200 rows)
  s3_upload        a folder of one function with an s3_upload trigger; also the time until a
                   HeadBucket on the printed fake S3 endpoint, sent at the ready line, is answered
                   (moto loads in the background: that request waits for it)

Each run is a fresh process (Popen → the first stdout line, then the process group is killed).
The variants take turns, RUNS rounds; the median of each is printed with its target. The
package's bytecode is compiled first, as an installed package has it.
"""

from __future__ import annotations

import compileall
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
TARGETS_S = {"10 functions": 0.4, "200 functions": 1.0, "s3_upload function": 0.6}
HELLO = "def handler(event, context):\n    return {{'statusCode': 200, 'body': '{name}'}}\n"


def folder_of(root: Path, count: int, *, s3: bool = False) -> Path:
    folder = root / (f"s3-{count}" if s3 else f"plain-{count}")
    folder.mkdir()
    for i in range(count):
        (folder / f"fn{i:03d}.py").write_text(HELLO.format(name=f"fn{i:03d}"))
    if s3:
        (folder / "fn000.json").write_text('{"triggers": [{"type": "s3_upload", "config": {"bucket": "bench"}}]}')
    return folder


def ready_s(argv: list[str], *, s3: bool = False) -> tuple[float, float | None]:
    """Seconds to the first stdout line; with `s3`, also to a HeadBucket answered on the fake S3
    line printed after it."""
    began = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            start_new_session=True)
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()
        ready = time.perf_counter() - began
        if not first:
            raise SystemExit(f"{argv} printed nothing")
        if not s3:
            return ready, None
        line = proc.stdout.readline()
        match = re.match(r"fake S3 on http://([\d.]+):(\d+)", line)
        if not match:
            raise SystemExit(f"no fake S3 line after the ready line: {line!r}")
        conn = http.client.HTTPConnection(match.group(1), int(match.group(2)), timeout=60)
        conn.request("HEAD", "/bench")
        status = conn.getresponse().status
        conn.close()
        if status != 200:
            raise SystemExit(f"HeadBucket on the fake S3 answered {status}")
        return ready, time.perf_counter() - began
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()


def main() -> None:
    """Prints the figures with their targets; a missed target is printed, not an error."""
    compileall.compile_dir(ROOT / "emulator", quiet=1)
    script = Path(sys.executable).with_name("fnemu")
    fnemu = [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]
    with tempfile.TemporaryDirectory(prefix="fnemu-startup-") as tmp:
        root = Path(tmp)
        variants: dict[str, tuple[list[str], bool]] = {
            "bare aiohttp handler": ([sys.executable, str(ROOT / "tests" / "bench" / "bare_server.py")], False),
        }
        for label, folder, s3 in (("10 functions", folder_of(root, 10), False),
                                  ("200 functions", folder_of(root, 200), False),
                                  ("s3_upload function", folder_of(root, 1, s3=True), True)):
            variants[label] = ([*fnemu, "start", "--port", "0", "--functions-dir", str(folder)], s3)
        ready: dict[str, list[float]] = {label: [] for label in variants}
        s3_answered: list[float] = []
        for _ in range(RUNS):
            for label, (argv, s3) in variants.items():
                seconds, answered = ready_s(argv, s3=s3)
                ready[label].append(seconds)
                if answered is not None:
                    s3_answered.append(answered)
    bare = statistics.median(ready["bare aiohttp handler"])
    print(f"\nstart-up to the ready line (median of {RUNS} fresh processes, turn by turn)")
    for label, values in ready.items():
        median = statistics.median(values)
        target = TARGETS_S.get(label)
        verdict = "" if target is None else f"   target <= {target:g} s {'ok' if median <= target else 'FAIL'}"
        print(f"  {label:<40} {median:6.3f} s  (x{median / bare:.2f} bare; {min(values):.3f}-{max(values):.3f})"
              f"{verdict}")
    print(f"  {'s3_upload: a HeadBucket sent at ready':<40} {statistics.median(s3_answered):6.3f} s  "
          "answered (moto loads meanwhile)")


if __name__ == "__main__":
    main()
