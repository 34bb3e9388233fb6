"""`make bench` (after bench.py): the s3_upload trigger, measured on `fnemu start` processes.

  start-up     Popen → the ready line, for a functions folder with one plain function and for
               the same folder plus an s3_upload function (moto starts then); median of ROUNDS
  latency      200 sequential small PutObjects (boto3); for each, from just before the put to the
               moment the function starts running (it prints time.time() first thing), and from
               the put's return to that moment; the next put goes once its invocation is logged
"""

from __future__ import annotations

import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from emulator.client import Client

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "fnemu-dev-token"
PUTS = 200
WARMUP = 10
ROUNDS = 5
PLAIN = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n"
STAMPER = "import time\ndef handler(event, context):\n    print(repr(time.time()))\n    return {}\n"


def start(folder: Path) -> tuple[subprocess.Popen[str], str, float]:
    """A server on a free port; (process, URL, seconds until its ready line)."""
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--no-watch",
                             "--functions-dir", str(folder)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    first = proc.stdout.readline()
    elapsed = time.perf_counter() - began
    match = re.search(r"http://127\.0\.0\.1:\d+", first)
    if match is None:
        proc.kill()
        raise SystemExit(f"fnemu did not start: {first!r}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep its pipe drained
    return proc, match.group(0), elapsed


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def folders(root: Path) -> tuple[Path, Path]:
    plain, with_s3 = root / "plain", root / "with_s3"
    for folder in (plain, with_s3):
        folder.mkdir()
        (folder / "hello.py").write_text(PLAIN)
    (with_s3 / "stamp.py").write_text(STAMPER)
    (with_s3 / "stamp.json").write_text(json.dumps(
        {"triggers": [{"type": "s3_upload", "config": {"bucket": "bench"}}]}))
    return plain, with_s3


def startup(folder: Path) -> float:
    times = []
    for _ in range(ROUNDS):
        proc, _, elapsed = start(folder)
        stop(proc)
        times.append(elapsed)
    return statistics.median(times) * 1000


def latency(folder: Path) -> tuple[list[float], list[float]]:
    proc, url, _ = start(folder)
    try:
        client = Client(url, TOKEN)
        s3 = client.s3_client()
        entries: queue.Queue[dict[str, object]] = queue.Queue()
        follower = Client(url, TOKEN)
        threading.Thread(target=lambda: [entries.put(e) for e in follower.follow_logs("stamp", limit=1)],
                         daemon=True).start()
        from_send, from_return = [], []
        for n in range(WARMUP + PUTS):
            sent = time.time()
            s3.put_object(Bucket="bench", Key=f"k/{n}.txt", Body=b"small")
            returned = time.time()
            entry = entries.get(timeout=30)
            started = float(entry["consoleLogs"][0]["message"])  # type: ignore[index]
            if n >= WARMUP:
                from_send.append((started - sent) * 1000)
                from_return.append((started - returned) * 1000)
        client.close()
        return from_send, from_return
    finally:
        stop(proc)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fnemu-s3-bench-") as tmp:
        plain, with_s3 = folders(Path(tmp))
        without_ms, with_ms = startup(plain), startup(with_s3)
        from_send, from_return = latency(with_s3)
    print("s3_upload bench (fnemu start, 127.0.0.1)")
    print(f"  start-up to ready line, median of {ROUNDS}: without s3_upload {without_ms:7.1f} ms   "
          f"with one s3_upload function {with_ms:7.1f} ms")
    print(f"  put → invocation start, {PUTS} sequential puts:  p50 {pct(from_send, 50):6.2f} ms   "
          f"p99 {pct(from_send, 99):6.2f} ms   max {max(from_send):6.2f} ms")
    print(f"  put returned → invocation start:             p50 {pct(from_return, 50):6.2f} ms   "
          f"p99 {pct(from_return, 99):6.2f} ms")


if __name__ == "__main__":
    main()
