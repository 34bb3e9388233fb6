"""`make bench` (after bench.py): the s3_upload trigger, measured on a `fnemu start` process
(start-up with an s3_upload function is startup_bench.py's).

  latency      200 sequential small PutObjects (boto3); for each, from just before the put to the
               moment the function starts running (it prints time.time() first thing), and from
               the put's return to that moment; the next put goes once its invocation is logged
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from emulator.client import Client, ClientError

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "fnemu-dev-token"
PUTS = 200
WARMUP = 10
STAMPER = "import time\ndef handler(event, context):\n    print(repr(time.time()))\n    return {}\n"


def start(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """A server on a free port; (process, URL)."""
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--no-watch",
                             "--functions-dir", str(folder)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", first)
    if match is None:
        proc.kill()
        raise SystemExit(f"fnemu did not start: {first!r}")
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep its pipe drained
    return proc, match.group(0)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(timeout=30)


def folder(root: Path) -> Path:
    (root / "stamp.py").write_text(STAMPER)
    (root / "stamp.json").write_text(json.dumps({"triggers": [{"type": "s3_upload", "config": {"bucket": "bench"}}]}))
    return root


def latency(folder: Path) -> tuple[list[float], list[float]]:
    proc, url = start(folder)
    try:
        client = Client(url, TOKEN)
        s3 = client.s3_client()
        entries: queue.Queue[dict[str, object]] = queue.Queue()
        follower = Client(url, TOKEN)
        threading.Thread(target=_follow, args=(follower, entries), daemon=True).start()
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


def _follow(follower: Client, entries: queue.Queue[dict[str, object]]) -> None:
    """Each new log entry of `stamp`, until the server stops (at the end of the run)."""
    try:
        for entry in follower.follow_logs("stamp", limit=1):
            entries.put(entry)
    except ClientError:
        return


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="fnemu-s3-bench-") as tmp:
        from_send, from_return = latency(folder(Path(tmp)))
    print("s3_upload bench (fnemu start, 127.0.0.1)")
    print(f"  put → invocation start, {PUTS} sequential puts:  p50 {pct(from_send, 50):6.2f} ms   "
          f"p99 {pct(from_send, 99):6.2f} ms   max {max(from_send):6.2f} ms")
    print(f"  put returned → invocation start:             p50 {pct(from_return, 50):6.2f} ms   "
          f"p99 {pct(from_return, 99):6.2f} ms")


if __name__ == "__main__":
    main()
