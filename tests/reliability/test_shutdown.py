"""§1 `fnemu start` stops within 2 s of SIGINT or SIGTERM whatever is going on (busy workers, open
WebSockets, a clock advance running crons, S3 uploads in flight), and leaves no process behind;
a second SIGINT forces the stop."""

from __future__ import annotations

import base64
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from emulator.config import DEFAULT_TOKEN
from tests.conftest import Figures
from tests.helpers import fixture_code, wait_until
from tests.process import ServerProcess, start_server
from tests.runtime.procs import descendants, gone

AUTH = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
BUSY = ("import os, pathlib, time\n"
        "def handler(event, context):\n"
        "    pathlib.Path(os.environ['MARKS'], '{name}').write_text(str(os.getpid()))\n"
        "    time.sleep(60)\n"
        "    return {{'statusCode': 200, 'body': 'late'}}\n")
LOADING = ("import os, pathlib, time\n"
           "pathlib.Path(os.environ['MARKS'], 'loading').write_text(str(os.getpid()))\n"
           "time.sleep(60)\n"
           "def handler(event, context):\n"
           "    return {}\n")
STOP_WITHIN_S = 2.0
WORKERS = ("sleeper", "tick", "up", "loading")


@dataclass
class Busy:
    """A running `fnemu start` with every kind of work in progress, and what it started."""

    server: ServerProcess
    client: httpx.Client
    marks: Path
    sockets: list[Any] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def background(self, method: str, path: str, **kwargs: Any) -> None:
        """A request that will not be answered before the stop (its answer, if any, is ignored)."""
        def send() -> None:
            try:
                self.client.request(method, path, **kwargs)
            except httpx.HTTPError:
                pass
        thread = threading.Thread(target=send, daemon=True)
        thread.start()
        self.threads.append(thread)

    def deploy(self, name: str, code: str, **fields: Any) -> None:
        env = {"MARKS": str(self.marks)}
        self.client.post("/v1/local/functions", json={"name": name, "code": code, "envVars": env,
                                                      "timeoutMs": 120_000, **fields}).raise_for_status()

    def running(self, *names: str) -> bool:
        return all((self.marks / name).exists() for name in names)


def _raw_websocket(url: str, path: str) -> socket.socket:
    """An upgraded connection that then never reads nor answers a close: the worst client."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                 f"Authorization: Bearer {DEFAULT_TOKEN}\r\n\r\n".encode())
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


def _half_sent_put(endpoint: str) -> socket.socket:
    """An S3 PUT whose body is half sent: moto's request thread waits for the rest."""
    host, port = endpoint.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(b"PUT /inflight/half HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Length: 1000000\r\n\r\n"
                 + b"x" * 1000)
    return sock


@pytest.fixture
def busy(tmp_path: Path) -> Iterator[Busy]:
    server = start_server(tmp_path, "--clock", "frozen")
    marks = tmp_path / "marks"
    marks.mkdir()
    client = httpx.Client(base_url=server.url, headers=AUTH, timeout=120)
    state = Busy(server, client, marks)
    try:
        state.deploy("sleeper", BUSY.format(name="sleeper"))
        state.background("GET", "/v1/local/fn/sleeper")
        state.deploy("tick", BUSY.format(name="tick"), triggers=[{"type": "cron", "config": {"schedule": "* * * * *"}}])
        state.background("POST", "/_emu/clock/advance", json={"seconds": 30 * 86400})
        state.deploy("up", BUSY.format(name="up"), triggers=[{"type": "s3_upload", "config": {"bucket": "inflight"}}])
        endpoint = client.get("/_emu/s3").json()["endpoint_url"]
        httpx.put(f"{endpoint}/inflight/whole", content=b"x").raise_for_status()
        state.sockets.append(_half_sent_put(endpoint))
        state.deploy("chat", fixture_code("python/ws_chat.py"), triggers=[{"type": "websocket", "config": {}}])
        ws: ClientConnection = connect(server.url.replace("http", "ws") + "/v1/local/fn/chat",
                                       additional_headers=AUTH, open_timeout=30, legacy=True)
        ws.send("sleep 60")
        state.sockets.append(ws)
        state.sockets.append(_raw_websocket(server.url, "/v1/local/fn/chat"))
        state.background("POST", "/v1/local/functions", json={  # a worker loading its code
            "name": "loading", "code": LOADING, "envVars": {"MARKS": str(marks)}})
        wait_until(lambda: state.running("sleeper", "tick", "up", "loading"), timeout=30,
                   message="every function to be busy")
        yield state
    finally:
        for sock in state.sockets:
            sock.close()
        client.close()
        server.stop()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_busy_emulator_stops_within_two_seconds_and_leaves_no_process(
        busy: Busy, sig: signal.Signals, figures: Figures) -> None:
    proc = busy.server.proc
    started = descendants(proc.pid)
    workers = {int((busy.marks / name).read_text()) for name in WORKERS}
    assert workers <= started
    began = time.monotonic()
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 0
    took = time.monotonic() - began
    figures(stop_seconds=round(took, 3))
    assert took < STOP_WITHIN_S, f"the stop took {took:.2f} s"
    wait_until(lambda: all(gone(pid) for pid in started), timeout=5, message="every process it started to end")
    assert "Traceback" not in busy.server.stderr_text()


def test_a_second_signal_forces_the_stop(busy: Busy) -> None:
    """Both signals land before the loop runs again (the process is stopped while they are sent):
    the second one finds the graceful stop begun and forces it, killing every worker's group."""
    proc = busy.server.proc
    started = descendants(proc.pid)
    os.kill(proc.pid, signal.SIGSTOP)
    try:
        os.kill(proc.pid, signal.SIGINT)
        os.kill(proc.pid, signal.SIGTERM)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    assert proc.wait(timeout=30) == 130
    wait_until(lambda: all(gone(pid) for pid in started), timeout=5, message="every process it started to end")
    assert "forced to stop" in busy.server.stderr_text()
