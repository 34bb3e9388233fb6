"""A worker on its own: CPU per call of one warm worker process, driven over its frame pipes.

No emulator and no HTTP: this script plays the parent, sends the invoke frame a `/fn/` GET of the
benchmark's hello makes (built by the style's own `event`), waits for each result and reads the
worker's utime+stime from /proc before and after. `--profile DIR` runs the worker under its
profiler (Node: `--cpu-prof`; Python: py-spy, when installed) and prints the top frames.

    python tests/bench/worker_bench.py [--calls N] [--profile DIR] KIND   (KIND: see --help)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from bench import (HELLO_AZURE, HELLO_GCF, HELLO_NODE_LAMBDA, HELLO_NODE_WEB, HELLO_PY, TICKS,  # noqa: E402
                   py_spy_profile, top_frames)

from emulator.events.apigw import event_v1  # noqa: E402
from emulator.events.request import HttpRequest  # noqa: E402
from emulator.events.web import request_event  # noqa: E402
from emulator.runtime.interpreters import BOOTSTRAP, node_heap_flags  # noqa: E402

_HEADER = struct.Struct(">I")
MEMORY_MB = 128
"""A function's default memoryLimitMb: the worker runs with its limit and (Node) heap sizes."""
KINDS = {
    # kind: (bootstrap, its style, code file, code, the event's shape, the handler names (Python))
    "python-lambda": ("python_worker.py", ["lambda"], "lambda_function.py", HELLO_PY, "v1", "handler"),
    "python-gcf": ("python_worker.py", ["gcf"], "main.py", HELLO_GCF, "web", "hello"),
    "python-azure": ("python_worker.py", ["azure"], "__init__.py", HELLO_AZURE, "azure", "main"),
    "node-lambda": ("node_worker.mjs", ["lambda"], "index.mjs", HELLO_NODE_LAMBDA, "v1", ""),
    "node-web": ("node_worker.mjs", ["web"], "index.mjs", HELLO_NODE_WEB, "web", ""),
}
REQUEST = HttpRequest(
    method="GET", path="/", full_path="/v1/local/fn/hello", query=(), raw_query="",
    headers=(("Host", "127.0.0.1:8080"),), body=b"", source_ip="127.0.0.1", host="127.0.0.1:8080")


def _read_exactly(fd: int, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = os.read(fd, n - len(out))
        if not chunk:
            raise SystemExit("the worker exited")
        out += chunk
    return out


def _read_frame(fd: int) -> dict[str, object]:
    (size,) = _HEADER.unpack(_read_exactly(fd, 4))
    return json.loads(_read_exactly(fd, size))  # type: ignore[no-any-return]


def _write_frame(fd: int, message: dict[str, object]) -> None:
    body = json.dumps(message).encode()
    os.write(fd, _HEADER.pack(len(body)) + body)


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def run(kind: str, calls: int, profile: Path | None) -> None:
    bootstrap, args, file_name, code, shape, names = KINDS[kind]
    work = Path(tempfile.mkdtemp(prefix="fnemu-worker-bench-"))
    (work / file_name).write_text(code)
    node = bootstrap.endswith(".mjs")
    if node:
        interp = ["node", *node_heap_flags(MEMORY_MB), *(["--cpu-prof", f"--cpu-prof-dir={profile}"] if profile else [])]
        argv = [*interp, str(BOOTSTRAP / bootstrap), *args]
        load: dict[str, object] = {"entry": str(work / file_name), "env_names": []}
    else:
        argv = [sys.executable, str(BOOTSTRAP / bootstrap), *args]
        load = {"entry": str(work / file_name), "handlers": names.split(",") if names else ["handler"]}
    event: dict[str, object]
    if shape == "web":
        event = request_event(REQUEST)
    elif shape == "azure":
        event = {**request_event(REQUEST, path="/api/hello"), "route_params": {}}
    else:
        event = event_v1(REQUEST, request_id="bench", app_id="local", now=time.time())
    child_read, parent_write = os.pipe()
    parent_read, child_write = os.pipe()
    env = dict(os.environ, FNEMU_WORKER_FDS=f"{child_read},{child_write}")
    proc = subprocess.Popen(argv, env=env, cwd=work, pass_fds=(child_read, child_write), stdin=subprocess.DEVNULL)
    os.close(child_read)
    os.close(child_write)
    spy = None
    try:
        _write_frame(parent_write, {"op": "load", **load, "env": dict(os.environ), "cwd": str(work),
                                    "console_cap": 1 << 20, "memory_mb": MEMORY_MB})
        ready = _read_frame(parent_read)
        assert ready["op"] == "ready", ready
        if profile and not node:
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
            spy = subprocess.Popen([py_spy, "record", "-r", "1000", "-f", "raw", "-o", str(profile / "py.txt"),
                                    "-p", str(proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        for phase, n in (("warm-up", max(calls // 10, 100)), ("measured", calls)):
            lat = []
            cpu0 = _cpu(proc.pid)
            for i in range(n):
                message = {"op": "invoke", "id": i + 1, "event": event, "context": {"aws_request_id": "bench"},
                           "deadline_ms": int(time.time() * 1000) + 60_000}
                body = json.dumps(message).encode()
                t0 = time.perf_counter()
                os.write(parent_write, _HEADER.pack(len(body)) + body)
                reply = _read_frame(parent_read)
                lat.append((time.perf_counter() - t0) * 1e6)
                assert reply["op"] == "result", reply
            cpu1 = _cpu(proc.pid)
        print(f"{kind}: {(cpu1 - cpu0) / calls * 1e6:.0f} us CPU per call in the worker, "
              f"round trip p50 {statistics.median(lat):.0f} us ({calls} calls)")
    finally:
        if spy is not None:
            spy.send_signal(2)
            spy.wait(timeout=30)
        os.close(parent_write)  # the worker exits at the end of its input
        proc.wait(timeout=30)
        os.close(parent_read)
        shutil.rmtree(work, ignore_errors=True)
    if profile:
        _print_profile(profile, node)


def _print_profile(profile: Path, node: bool) -> None:
    """The frames with the most samples of their own."""
    if node:
        newest = max(profile.glob("*.cpuprofile"), key=lambda p: p.stat().st_mtime)
        prof = json.loads(newest.read_text())
        by_id = {n["id"]: n for n in prof["nodes"]}
        samples: Counter[str] = Counter()
        for sample in prof["samples"]:
            frame = by_id[sample]["callFrame"]
            samples[f"{frame['functionName'] or '(anonymous)'} {Path(frame['url']).name}:{frame['lineNumber'] + 1}"] += 1
    else:
        samples = Counter(py_spy_profile(profile / "py.txt"))
    print("\n".join("  " + line for line in top_frames(samples, 15)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("kind", choices=sorted(KINDS))
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args()
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    run(args.kind, args.calls, args.profile)


if __name__ == "__main__":
    main()
