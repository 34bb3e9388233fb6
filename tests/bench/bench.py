"""`make bench`: fnemu's `/fn/` hop against two bare aiohttp JSON handlers, measured in one run.

Each row is a server process this script starts on 127.0.0.1 and measures the same way:
  seq p50/p99   2,000 sequential GETs on one keep-alive connection (after 200 unmeasured)
  req/s, p99    wrk, 16 connections for 5 s (after a 2 s warm-up that lets worker pools grow)
  CPU/req       utime+stime of the server's process tree (workers included) during that wrk run,
                from /proc/PID/stat, divided by the requests wrk completed
  RSS           the server process, and its largest worker, after the load
The rows are measured in turn, ROUNDS times over (all servers stay up, idle when not measured),
and each figure is the best of its rounds: on a shared machine other load only ever adds.

Two baselines, both in every run: "bare aiohttp, defaults" (bare_defaults_server.py: aiohttp's
docs' hello, `web.run_app` on asyncio's own loop with the default access logger), which is what
the targets are judged against (BASELINE), and "bare aiohttp, uvloop, no access log"
(bare_server.py: served as `fnemu start` serves), about twice as lean and so the stricter
(STRICT_BASELINE). Every figure is printed as a ratio to the first, then each row's ratios to
both, then the targets' verdicts against each.

With --compare (`make bench-compare`) the same hello is also served by the peers in tests/bench/peers/
(Miniflare 3, functions-framework for Node and for Python, from their pinned registry packages), and
every row gets its ratio to the best peer of each column in the same run.

A scenario is a function in SCENARIOS: it starts what it measures (with `Bench.start`, which
stops it by pid when the run ends) and returns the targets to measure. Figures that are not
request/response measurements (cold start, reload time) go in `Bench.notes` as label/value pairs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOKEN = "fnemu-dev-token"
SEQ_REQUESTS = 2000
SEQ_WARMUP = 200
WRK_SECONDS = 5
WRK_WARMUP_SECONDS = 2
CONCURRENCY = 16
ROUNDS = 2
START_TIMEOUT = 30.0
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

HELLO_PY = """\
import json


def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"message": "hello"}),
    }
"""

HELLO_NODE_WEB = """\
export default async function handler(req) {
  return Response.json({ message: "hello" });
}
"""

HELLO_NODE_LAMBDA = """\
export const handler = async (event) => ({
  statusCode: 200,
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ message: "hello" }),
});
"""

HELLO_GCF = """\
def hello(request):
    return {"message": "hello"}
"""

HELLO_AZURE = """\
import azure.functions as func


def main(req):
    return func.HttpResponse('{"message": "hello"}', mimetype="application/json")
"""

COLD_STARTS = 10
"""Deploys per handler kind in the cold-start figures (their median is shown)."""
SPARE_PAUSE = 0.5
"""Seconds between two deploys in the cold-start figures."""

PEERS = HERE / "peers"

BASELINE = "bare aiohttp, defaults"
"""The baseline the targets are judged against: the one they were set against."""
STRICT_BASELINE = "bare aiohttp, uvloop, no access log"
"""The leaner baseline, shown beside it: the same verdicts against it are the stricter ones."""
SET_WITH_MINIFLARE = "1.9x / 0.35x / 3.6x (seq p50 / req/s / CPU/req)"
"""Miniflare 3's ratios to BASELINE when the targets were set: a run whose Miniflare row is near
them measured the baseline the targets mean."""

TARGETS: dict[str, list[tuple[str, str, float]]] = {
    "python": [("p50", "<=", 1.6), ("rps", ">=", 0.5), ("cpu", "<=", 2.5)],
    "node web": [("p50", "<=", 2.0), ("rps", ">=", 0.4), ("cpu", "<=", 3.5)],
}
"""The targets, warm, with every feature on, as ratios to a bare handler; rows by label."""
CPU_VS_PYTHON_LAMBDA = 1.3
"""Node lambda's, gcf's and azure's CPU/req within this factor of Python lambda's (auth none)."""


@dataclass
class Row:
    label: str
    p50_ms: float
    p99_ms: float
    rps: float
    c16_p99_ms: float
    cpu_us: float
    rss_mb: float
    front_cpu_us: float
    worker_rss_mb: float | None = None
    workers: int = 0
    baseline: bool = False
    checks: list[str] = field(default_factory=list)
    peer: bool = False

    def best(self, other: Row) -> Row:
        """Each figure at its best of the two measurements (checks from both); the CPU split is
        the one of the measurement with the lower CPU/req."""
        split = self if self.cpu_us <= other.cpu_us else other
        return Row(self.label, min(self.p50_ms, other.p50_ms), min(self.p99_ms, other.p99_ms),
                   max(self.rps, other.rps), min(self.c16_p99_ms, other.c16_p99_ms),
                   min(self.cpu_us, other.cpu_us), max(self.rss_mb, other.rss_mb),
                   split.front_cpu_us,
                   max(self.worker_rss_mb or 0.0, other.worker_rss_mb or 0.0) or None,
                   max(self.workers, other.workers), self.baseline, self.checks + other.checks, self.peer)


@dataclass
class Target:
    """One row to measure: GET `path` on a server this run started."""

    label: str
    server: Server
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    baseline: bool = False
    peer: bool = False
    check: Callable[[Row], None] | None = None
    """Called after each measurement; appends to row.checks what looks wrong."""


# ---------------------------------------------------------------- processes


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    out_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.out_path.read_text(errors="replace")


class Bench:
    """What scenarios share: a scratch folder, the processes they started, notes to print."""

    def __init__(self, workdir: Path, wrk: str, seconds: int, stack: ExitStack) -> None:
        self.workdir = workdir
        self.wrk = wrk
        self.seconds = seconds
        self.notes: list[tuple[str, str]] = []
        self.profile: Path | None = None
        """With --profile: py-spy samples each fnemu row's server during its last wrk run, into here."""
        self._stack = stack

    def start(self, argv: list[str], name: str, url: str | None = None) -> Server:
        """A server that runs until the end of the benchmark."""
        return self._stack.enter_context(self.running(argv, name, url))

    @contextmanager
    def running(self, argv: list[str], name: str, url: str | None = None) -> Iterator[Server]:
        """Start a server whose first stdout line has its URL (or that is told to serve at `url`: it
        is up once that port takes a connection); stop it (by pid) on the way out."""
        out_path = self.workdir / f"{name}.out"
        env = {k: v for k, v in os.environ.items() if k not in ("FNEMU_TOKEN", "FNEMU_URL")}
        cwd = self.workdir / f"{name}.cwd"  # no ./functions folder to pick up
        cwd.mkdir(exist_ok=True)
        with open(out_path, "wb") as out, open(self.workdir / f"{name}.err", "wb") as err:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd, env=env)
        try:
            url = url or _wait_for_url(proc, out_path, self.workdir / f"{name}.err")
            _wait_for_port(proc, url, self.workdir / f"{name}.err")
            yield Server(proc, url, out_path)
        finally:
            _stop(proc)


def _wait_for_url(proc: subprocess.Popen[bytes], out_path: Path, err_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        text = out_path.read_text(errors="replace")
        if "\n" in text:
            first = text.split("\n", 1)[0]
            m = re.search(r"http://[^\s]+", first)
            if not m:
                raise SystemExit(f"no URL in the first line: {first!r}")
            return m.group(0).rstrip("/")
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args} exited {proc.returncode}:\n{err_path.read_text(errors='replace')}")
        time.sleep(0.02)
    raise SystemExit(f"{proc.args} printed no URL within {START_TIMEOUT:g} s")


def _wait_for_port(proc: subprocess.Popen[bytes], url: str, err_path: Path) -> None:
    m = re.match(r"http://([^:/]+):(\d+)", url)
    assert m, url
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            socket.create_connection((m.group(1), int(m.group(2))), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise SystemExit(f"{proc.args} exited {proc.returncode}:\n{err_path.read_text(errors='replace')}")
            time.sleep(0.02)
    raise SystemExit(f"{proc.args} took no connection at {url} within {START_TIMEOUT:g} s")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


# ---------------------------------------------------------------- /proc


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields from `state` on (the name may hold spaces)


def descendants(pid: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                parents.setdefault(int(fields[1]), []).append(int(entry))
    out: list[int] = []
    todo = [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        out.extend(kids)
        todo.extend(kids)
    return out


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """(the server process, its whole tree): utime+stime of the process and of every live
    descendant, plus what reaped children left in its cutime+cstime (a worker replaced during
    the run still counts)."""
    front = tree = 0
    for i, p in enumerate([pid, *descendants(pid)]):
        fields = _stat(p)
        if fields:
            ticks = int(fields[11]) + int(fields[12])  # utime, stime
            if i == 0:
                front = ticks
                ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
            tree += ticks
    return front / TICKS, tree / TICKS


def rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE_KB / 1024
    except OSError:
        return 0.0


# ---------------------------------------------------------------- load


class KeepAlive:
    """A minimal HTTP/1.1 client on one socket: as little client time as possible per request."""

    def __init__(self, url: str) -> None:
        m = re.match(r"http://([^:/]+):(\d+)", url)
        assert m, url
        self.host, self.port = m.group(1), int(m.group(2))
        self.sock = socket.create_connection((self.host, self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        self.sock.close()

    def get(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        lines = [f"GET {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        hdrs = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines if h)}
        if "content-length" in hdrs:
            return status, self._exactly(int(hdrs["content-length"]))
        assert hdrs.get("transfer-encoding", "").lower() == "chunked", hdrs
        body = b""
        while True:
            size = int(self._until(b"\r\n").split(b";")[0], 16)
            chunk = self._exactly(size + 2)[:-2]
            if not size:
                return status, body
            body += chunk

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def _until(self, sep: bytes) -> bytes:
        while (i := self.buf.find(sep)) < 0:
            self._fill()
        out, self.buf = self.buf[:i], self.buf[i + len(sep) :]
        return out

    def _exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out


def sequential(url: str, path: str, headers: dict[str, str], n: int, warmup: int) -> list[float]:
    """Latencies in ms of n requests, one after another on one keep-alive connection."""
    client = KeepAlive(url)
    try:
        out: list[float] = []
        for i in range(warmup + n):
            t0 = time.perf_counter_ns()
            status, body = client.get(path, headers)
            elapsed = (time.perf_counter_ns() - t0) / 1e6
            if status != 200 or b"hello" not in body:
                raise SystemExit(f"GET {path}: {status} {body[:200]!r}")
            if i >= warmup:
                out.append(elapsed)
        return out
    finally:
        client.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


@dataclass
class WrkResult:
    requests: int
    rps: float
    p99_ms: float
    bad: int


def wrk(bench: Bench, url: str, headers: dict[str, str], seconds: int) -> WrkResult:
    argv = [bench.wrk, "-t1", f"-c{CONCURRENCY}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for k, v in headers.items():
        argv += ["-H", f"{k}: {v}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30, check=True)
    text = done.stdout
    requests = int(_grab(r"(\d+) requests in", text))
    bad = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", text))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if errors:
        bad += sum(int(x) for x in errors.groups())
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)] if m else float("nan")
    return WrkResult(requests, float(_grab(r"Requests/sec:\s+([\d.]+)", text)), p99, bad)


def _grab(pattern: str, text: str) -> str:
    m = re.search(pattern, text)
    if not m:
        raise SystemExit(f"unexpected wrk output:\n{text}")
    return m.group(1)


def measure(bench: Bench, target: Target, *, warm: bool) -> Row:
    server, headers = target.server, target.headers
    lat = sequential(server.url, target.path, headers, SEQ_REQUESTS, SEQ_WARMUP)
    url = server.url + target.path
    if warm:
        wrk(bench, url, headers, WRK_WARMUP_SECONDS)
    spy = None
    if bench.profile is not None and not (target.baseline or target.peer):
        spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "-r", "500", "-f", "raw",
                                "-d", str(bench.seconds), "--nonblocking", "-p", str(server.pid),
                                "-o", str(bench.profile / f"{re.sub(r'[^a-z0-9]+', '-', target.label)}.txt")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    front0, tree0 = tree_cpu_seconds(server.pid)
    load = wrk(bench, url, headers, bench.seconds)
    front1, tree1 = tree_cpu_seconds(server.pid)
    if spy is not None:
        spy.wait(timeout=60)
    workers = descendants(server.pid)
    row = Row(target.label, statistics.median(lat), percentile(lat, 99), load.rps, load.p99_ms,
              (tree1 - tree0) / load.requests * 1e6, rss_mb(server.pid), (front1 - front0) / load.requests * 1e6,
              max((rss_mb(p) for p in workers), default=None), len(workers), target.baseline,
              peer=target.peer)
    if load.bad:
        row.checks.append(f"{load.bad} of {load.requests} wrk responses were not 2xx or failed")
    if target.check is not None:
        target.check(row)
    return row


# ---------------------------------------------------------------- scenarios


def bare_hello(bench: Bench) -> list[Target]:
    """Both baselines: the defaults one (run_app prints its URL only when its output is flushed:
    it is told its port) and the lean one."""
    port = free_port()
    defaults = bench.start([sys.executable, str(HERE / "bare_defaults_server.py"), str(port)], "bare-defaults",
                           url=f"http://127.0.0.1:{port}")
    lean = bench.start([sys.executable, str(HERE / "bare_server.py")], "bare")
    return [Target(BASELINE, defaults, "/hello", baseline=True),
            Target(STRICT_BASELINE, lean, "/hello", baseline=True)]


def _fnemu_argv() -> list[str]:
    script = Path(sys.executable).with_name("fnemu")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]
    return [*cli, "start", "--host", "127.0.0.1", "--port", "0"]


def _api(url: str, method: str, path: str, body: object | None = None) -> tuple[int, dict[str, object]]:
    m = re.match(r"http://([^:/]+):(\d+)", url)
    assert m
    conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=60)
    try:
        payload = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def _deploy(url: str, name: str, code: str, auth: str, runtime: str | None = None) -> None:
    body: dict[str, object] = {"name": name, "code": code, "triggers": [{"type": "http", "config": {"auth": auth}}]}
    if runtime is not None:
        body["runtime"] = runtime
    status, fn = _api(url, "POST", "/v1/local/functions", body)
    if status not in (200, 201):
        raise SystemExit(f"deploy {name}: {status} {fn}")


def _check_logged(server: Server, name: str) -> Callable[[Row], None]:
    """Every request was an invocation with its log entry, metrics and terminal line."""
    def check(row: Row) -> None:
        status, fn = _api(server.url, "GET", f"/v1/local/functions/{name}")
        metrics = fn.get("metrics") if status == 200 else None
        total = int(metrics["total_invocations"]) if isinstance(metrics, dict) else 0
        printed = server.output().count(" http GET ")  # the invocation line's summary column
        if total < SEQ_REQUESTS + SEQ_WARMUP or printed < total:
            row.checks.append(f"{name}: {total} invocations in its metrics, {printed} terminal lines")
    return check


def fnemu_python_hello(bench: Bench) -> list[Target]:
    """A warm Python lambda hello, public and behind auth (the developer token), every feature on:
    auth, the per-invocation log entry, metrics, and the terminal line per invocation. One
    emulator per row, so neither row's workers or logs weigh on the other."""
    targets = []
    for auth, headers in (("none", {}), ("required", {"Authorization": f"Bearer {TOKEN}"})):
        server = bench.start(_fnemu_argv(), f"fnemu-auth-{auth}")
        _deploy(server.url, "hello", HELLO_PY, auth)
        targets.append(Target(f"fnemu /fn/ python, auth {auth}", server, "/v1/local/fn/hello", headers,
                              check=_check_logged(server, "hello")))
    return targets


def fnemu_node_hello(bench: Bench) -> list[Target]:
    """A warm Node hello in each handler style, public, one emulator per row as above."""
    targets = []
    for style, code in (("web", HELLO_NODE_WEB), ("lambda", HELLO_NODE_LAMBDA)):
        server = bench.start(_fnemu_argv(), f"fnemu-node-{style}")
        _deploy(server.url, "hello", code, "none")
        targets.append(Target(f"fnemu /fn/ node {style}, auth none", server, "/v1/local/fn/hello",
                              check=_check_logged(server, "hello")))
    return targets


def fnemu_python_styles_hello(bench: Bench) -> list[Target]:
    """A warm Python hello in the gcf and azure styles, public, one emulator per row as above."""
    targets = []
    for style, code in (("gcf", HELLO_GCF), ("azure", HELLO_AZURE)):
        server = bench.start(_fnemu_argv(), f"fnemu-python-{style}")
        _deploy(server.url, "hello", code, "none", runtime=style)
        targets.append(Target(f"fnemu /fn/ {style} python, auth none", server, "/v1/local/fn/hello",
                              check=_check_logged(server, "hello")))
    return targets


def _serving(pid: int) -> set[int]:
    """The worker processes below `pid` that serve a function: a spare's folder is `/` until it is
    given one, a worker's is its version's code folder."""
    serving = set()
    for child in descendants(pid):
        try:
            if os.readlink(f"/proc/{child}/cwd") != "/" and rss_mb(child):
                serving.add(child)
        except OSError:
            continue
    return serving


def _new_worker(server: Server, before: set[int]) -> int:
    """The one worker that started serving since `before` was listed (it may have been started
    before, as a spare)."""
    new = sorted(_serving(server.pid) - before)
    if len(new) != 1:
        raise SystemExit(f"expected one new worker, found {new}")
    return new[0]


def cold_starts(bench: Bench) -> list[Target]:
    """Notes only: deploy → first response (the deploy starts the first worker, the response
    comes from it), and the RSS of that worker once idle, per handler kind; then the emulator's
    RSS with one idle worker per language, and its spares'. Each deploy is deleted before the next
    of its kind, SPARE_PAUSE later (as a person's deploys come: the spare the last one took has been
    replaced). The first deploy of each kind finds no spare of its kind yet: it is shown apart."""
    server = bench.start(_fnemu_argv(), "fnemu-cold")
    kept: list[int] = []
    for label, code in (("python lambda", HELLO_PY), ("node lambda", HELLO_NODE_LAMBDA),
                        ("node web", HELLO_NODE_WEB)):
        totals, deploys, rss = [], [], []
        for i in range(COLD_STARTS):
            name = f"cold-{label.replace(' ', '-')}-{i}"
            before = _serving(server.pid)
            t0 = time.perf_counter()
            _deploy(server.url, name, code, "none")
            t1 = time.perf_counter()
            status, body = _api(server.url, "GET", f"/v1/local/fn/{name}")
            t2 = time.perf_counter()
            if status != 200 or body.get("message") != "hello":
                raise SystemExit(f"cold start {label}: {status} {body}")
            totals.append((t2 - t0) * 1000)
            deploys.append((t1 - t0) * 1000)
            worker = _new_worker(server, before)
            rss.append(rss_mb(worker))
            if i < COLD_STARTS - 1:
                _api(server.url, "DELETE", f"/v1/local/functions/{name}")
            elif label != "node web":
                kept.append(worker)
            time.sleep(SPARE_PAUSE)
        first, spared, spared_deploys = totals[0], totals[1:], deploys[1:]
        bench.notes.append((f"cold start, {label} (deploy -> first response, median of {len(spared)} with a spare)",
                            f"{statistics.median(spared):.0f} ms (deploy {statistics.median(spared_deploys):.0f} ms "
                            f"+ first call {statistics.median(spared) - statistics.median(spared_deploys):.0f} ms); "
                            f"best {min(spared):.0f} ms; the first, spawned: {first:.0f} ms"))
        bench.notes.append((f"RSS per idle worker, {label}", f"{statistics.median(rss):.1f} MB"))
    front = rss_mb(server.pid)
    workers = sum(rss_mb(pid) for pid in kept)
    spares = [pid for pid in descendants(server.pid) if pid not in _serving(server.pid) and rss_mb(pid)]
    bench.notes.append(("RSS of the emulator with one idle worker per language (python, node lambda)",
                        f"{front + workers:.1f} MB (emulator {front:.1f} MB + workers {workers:.1f} MB); "
                        f"its {len(spares)} spares (python, node lambda, node web) "
                        f"{sum(rss_mb(pid) for pid in spares):.1f} MB more"))
    return []


def peers(bench: Bench) -> list[Target]:
    """The same hello on the peers (`make bench-compare` installs them): Miniflare 3 (workerd, a
    Workers fetch handler) and functions-framework for Node and for Python (an HTTP function),
    each as its own command starts it, on 127.0.0.1."""
    node_modules = PEERS / "node_modules"
    if not node_modules.is_dir():
        raise SystemExit(f"the peers are not installed: cd {PEERS} && npm ci (make bench-compare does it)")
    port = free_port()
    ff_python = Path(sys.executable).with_name("functions-framework")
    servers = [
        ("Miniflare 3 (workerd)", bench.start(["node", str(PEERS / "miniflare_server.mjs")], "miniflare")),
        ("functions-framework node", bench.start(["node", str(PEERS / "ff_node_server.js")], "ff-node")),
        ("functions-framework python", bench.start(
            [str(ff_python), "--target", "hello", "--source", str(PEERS / "hello.py"), "--host", "127.0.0.1",
             "--port", str(port)], "ff-python", url=f"http://127.0.0.1:{port}")),
    ]
    return [Target(label, server, "/", peer=True) for label, server in servers]


SCENARIOS: list[Callable[[Bench], list[Target]]] = [
    bare_hello, fnemu_python_hello, fnemu_node_hello, fnemu_python_styles_hello, cold_starts,
]
NOTES = (cold_starts,)
"""The scenarios that only add notes."""


# ---------------------------------------------------------------- report


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base else "-"


def _ratios(row: Row, base: Row) -> dict[str, float]:
    return {"p50": row.p50_ms / base.p50_ms, "rps": row.rps / base.rps, "cpu": row.cpu_us / base.cpu_us}


def render(rows: list[Row], bench: Bench) -> str:
    base = next(r for r in rows if r.label == BASELINE)
    strict = next(r for r in rows if r.label == STRICT_BASELINE)
    cols = ["seq p50 ms", "seq p99 ms", f"req/s c{CONCURRENCY}", f"c{CONCURRENCY} p99 ms", "CPU us/req",
            "RSS MB", "worker RSS MB"]
    width = max(len(r.label) for r in rows) + 2
    out = [f"ratios in brackets: to {BASELINE}", f"{'':<{width}}" + "".join(f"{c:>16}" for c in cols)]
    for r in rows:
        cells = [
            (r.p50_ms, base.p50_ms, "{:.3f}"), (r.p99_ms, base.p99_ms, "{:.3f}"), (r.rps, base.rps, "{:,.0f}"),
            (r.c16_p99_ms, base.c16_p99_ms, "{:.2f}"), (r.cpu_us, base.cpu_us, "{:.0f}"),
            (r.rss_mb, base.rss_mb, "{:.1f}"),
        ]
        text = []
        for value, ref, fmt in cells:
            shown = fmt.format(value)
            text.append(shown if r is base else f"{shown} ({_ratio(value, ref)})")
        text.append("-" if r.worker_rss_mb is None else f"{r.worker_rss_mb:.1f} x{r.workers}")
        out.append(f"{r.label:<{width}}" + "".join(f"{t:>16}" for t in text))
    out.append("")
    out.append(f"ratios to each baseline, seq p50 / req/s / CPU/req: x {BASELINE} | x {STRICT_BASELINE}")
    for r in rows:
        if r is not base:
            parts = []
            for ref in (base, strict):
                ratios = _ratios(r, ref)
                parts.append(f"{ratios['p50']:.2f} / {ratios['rps']:.2f} / {ratios['cpu']:.2f}")
            out.append(f"  {r.label:<{width}}" + " | ".join(parts))
    out.append(f"  (the targets were set when Miniflare 3 measured {SET_WITH_MINIFLARE} of {BASELINE})")
    peer_rows = [r for r in rows if r.peer]
    if peer_rows:
        best = {"p50": min(r.p50_ms for r in peer_rows), "rps": max(r.rps for r in peer_rows),
                "cpu": min(r.cpu_us for r in peer_rows)}
        out.append("")
        out.append("ratios to the best peer of each column (seq p50 "
                   f"{best['p50']:.3f} ms, req/s {best['rps']:,.0f}, CPU {best['cpu']:.0f} us/req):")
        for r in rows:
            out.append(f"  {r.label:<{width}}seq p50 {r.p50_ms / best['p50']:.2f}x | req/s {r.rps / best['rps']:.2f}x"
                       f" | CPU/req {r.cpu_us / best['cpu']:.2f}x")
    names = {"p50": "seq p50", "rps": "req/s", "cpu": "CPU/req"}
    for ref, how in ((base, "how the targets are judged"), (strict, "stricter")):
        out.append("")
        out.append(f"targets against {ref.label} ({how}):")
        for r in rows:
            targets = next((t for key, t in TARGETS.items() if r.label.startswith(f"fnemu /fn/ {key}")), None)
            if targets is None:
                continue
            ratios = _ratios(r, ref)
            parts = []
            for key, op, limit in targets:
                ok = ratios[key] <= limit if op == "<=" else ratios[key] >= limit
                parts.append(f"{names[key]} {ratios[key]:.2f}x {op} {limit}x {'PASS' if ok else 'FAIL'}")
            out.append(f"  {r.label:<{width}}" + " | ".join(parts))
    out.append("")
    out.append("targets against Python lambda (either baseline):")
    python = next((r for r in rows if r.label == "fnemu /fn/ python, auth none"), None)
    for r in rows:
        if python and r.label.startswith(("fnemu /fn/ node lambda", "fnemu /fn/ gcf", "fnemu /fn/ azure")):
            ratio = r.cpu_us / python.cpu_us
            out.append(f"  {r.label:<{width}}CPU/req {ratio:.2f}x Python lambda's <= "
                       f"{CPU_VS_PYTHON_LAMBDA}x {'PASS' if ratio <= CPU_VS_PYTHON_LAMBDA else 'FAIL'}")
    out.append("CPU us/req of the server process alone (the rest is its workers):")
    for r in rows:
        if not r.baseline and not r.peer:
            out.append(f"  {r.label:<{width}}{r.front_cpu_us:.0f} ({_ratio(r.front_cpu_us, base.cpu_us)} of "
                       f"{BASELINE}'s, {_ratio(r.front_cpu_us, strict.cpu_us)} of {STRICT_BASELINE}'s), "
                       f"workers {r.cpu_us - r.front_cpu_us:.0f}")
    for r in rows:
        for check in sorted(set(r.checks)):
            out.append(f"  ! {r.label}: {check}")
    for label, value in bench.notes:
        out.append(f"  {label}: {value}")
    return "\n".join(out)


def top_frames(samples: dict[str, int], top: int = 12) -> list[str]:
    """`samples`: sample counts by stack (frames joined with ';'): the frames with the most
    samples of their own, as percentages."""
    own: dict[str, int] = {}
    for stack, n in samples.items():
        frame = stack.rsplit(";", 1)[-1]
        own[frame] = own.get(frame, 0) + n
    total = sum(own.values()) or 1
    ranked = sorted(own.items(), key=lambda item: -item[1])[:top]
    return [f"{n / total * 100:5.1f}%  {frame}" for frame, n in ranked]


def py_spy_profile(path: Path) -> dict[str, int]:
    """A py-spy `--format raw` file: sample counts by stack."""
    samples: dict[str, int] = {}
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples[stack] = samples.get(stack, 0) + int(count)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=int, default=WRK_SECONDS, choices=range(1, 31), metavar="1-30",
                        help=f"wrk duration per row and round (default {WRK_SECONDS})")
    parser.add_argument("--compare", action="store_true",
                        help="also measure the peers in tests/bench/peers/ (installed by make bench-compare)")
    parser.add_argument("--no-notes", action="store_true",
                        help="only the request rows: no cold starts")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="sample each fnemu server with py-spy during its measured load; print the top frames")
    parser.add_argument("--rounds", type=int, default=ROUNDS, choices=range(1, 6), metavar="1-5",
                        help=f"measurements of each row; the best counts (default {ROUNDS})")
    args = parser.parse_args()
    wrk_path = shutil.which("wrk")
    if wrk_path is None:
        print("wrk is not installed: apt-get install wrk (make bench does it)", file=sys.stderr)
        return 2
    import aiohttp
    import uvloop

    print(f"fnemu bench: Python {platform.python_version()}, aiohttp {aiohttp.__version__}, "
          f"uvloop {uvloop.__version__}, {os.cpu_count()} CPUs; {SEQ_REQUESTS} sequential keep-alive GETs; "
          f"wrk -t1 -c{CONCURRENCY} -d{args.seconds}s; best of {args.rounds} rounds; all on 127.0.0.1; "
          "fnemu's terminal output (a line per invocation) goes to a file", flush=True)
    with tempfile.TemporaryDirectory(prefix="fnemu-bench-") as tmp, ExitStack() as stack:
        bench = Bench(Path(tmp), wrk_path, args.seconds, stack)
        if args.profile is not None:
            args.profile.mkdir(parents=True, exist_ok=True)
            bench.profile = args.profile
        scenarios = [*SCENARIOS[:1], *([peers] if args.compare else []), *SCENARIOS[1:]]
        if args.no_notes:
            scenarios = [s for s in scenarios if s not in NOTES]
        targets = [t for scenario in scenarios for t in scenario(bench)]
        rows: dict[str, Row] = {}
        for n in range(args.rounds):
            for target in targets:
                row = measure(bench, target, warm=n == 0)
                rows[target.label] = rows[target.label].best(row) if target.label in rows else row
    print(render(list(rows.values()), bench))
    for path in sorted(args.profile.glob("fnemu-*.txt")) if args.profile else []:
        print(f"py-spy, {path.stem} (the server process, wall-clock samples of its own frames):")
        print("\n".join("  " + line for line in top_frames(py_spy_profile(path))))
    return 1 if any(r.checks for r in rows.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
