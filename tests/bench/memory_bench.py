"""`make bench`, memory rows: the emulator with one warm worker per language, and whether any of
them grows with calls.

  warm          `fnemu start` (no folder), a Python lambda and a Node lambda deployed and called
                once: RSS of the emulator and of each worker; for each also its PSS (shared pages,
                such as the node binary's own, split among the processes that map them)
  over calls    WARMUP calls to each function (the log store fills to its bound), then CALLS more,
                sequential, keep-alive: RSS of each process after each fifth of them

RSS is what `ps` and the targets count; a Node worker's RSS is mostly the node binary's own pages.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench import descendants, rss_mb

ROOT = Path(__file__).resolve().parent.parent.parent
TOKEN = "fnemu-dev-token"
WARMUP = int(os.environ.get("BENCH_WARMUP", "1000"))
CALLS = int(os.environ.get("BENCH_CALLS", "10000"))
TARGET_MB = 100.0
FUNCTIONS = {
    "python": "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n",
    "node": "exports.handler = async () => ({ statusCode: 200, body: 'hi' });\n",
}


def pss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Pss:")) / 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: object = None) -> int:
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    return response.status


def main() -> None:
    """Prints the figures with the target; a missed target is printed, not an error."""
    port = _free_port()
    script = Path(sys.executable).with_name("fnemu")
    fnemu = [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]
    # stdout to /dev/null: an unread pipe would keep the emulator's undelivered lines in memory
    proc = subprocess.Popen([*fnemu, "start", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("fnemu did not start") from None
                time.sleep(0.05)
        conns = {name: http.client.HTTPConnection("127.0.0.1", port, timeout=60) for name in FUNCTIONS}
        workers: dict[str, int] = {}
        for name, code in FUNCTIONS.items():
            before = set(descendants(proc.pid))
            _request(conns[name], "POST", "/v1/local/functions",
                     {"name": name, "code": code, "language": name,
                      "triggers": [{"type": "http", "config": {"auth": "none"}}]})
            if _request(conns[name], "GET", f"/v1/local/fn/{name}") != 200:
                raise SystemExit(f"{name}: the call failed")
            new = [pid for pid in descendants(proc.pid) if pid not in before and rss_mb(pid)]
            workers[name] = max(new, key=rss_mb)
        time.sleep(0.5)  # the worker settles after its first call
        pids = {"emulator": proc.pid, **{f"{name} worker": pid for name, pid in workers.items()}}
        total = sum(rss_mb(pid) for pid in pids.values())
        print("\nmemory: the emulator with one warm worker per language (python lambda, node lambda)")
        for label, pid in pids.items():
            print(f"  {label:<40} RSS {rss_mb(pid):6.1f} MB   PSS {pss_mb(pid):6.1f} MB")
        print(f"  {'together':<40} RSS {total:6.1f} MB   target <= {TARGET_MB:g} MB "
              f"{'ok' if total <= TARGET_MB else 'FAIL'}")
        for _ in range(WARMUP):
            for name, conn in conns.items():
                _request(conn, "GET", f"/v1/local/fn/{name}")
        rows = [[rss_mb(pid) for pid in pids.values()]]
        for _ in range(5):
            for _ in range(CALLS // 5):
                for name, conn in conns.items():
                    _request(conn, "GET", f"/v1/local/fn/{name}")
            rows.append([rss_mb(pid) for pid in pids.values()])
        print(f"  RSS over {CALLS:,} calls to each, after {WARMUP:,} (MB, each fifth):")
        for i, label in enumerate(pids):
            series = [row[i] for row in rows]
            print(f"    {label:<38} {' '.join(f'{v:5.1f}' for v in series)}   "
                  f"last - first {series[-1] - series[0]:+.1f}, max - first {max(series) - series[0]:+.1f}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
