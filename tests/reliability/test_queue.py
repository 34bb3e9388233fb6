"""§5 bounded waiting: past `--max-queue` callers waiting for a busy function's workers, 429 at once."""

from __future__ import annotations

import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.helpers import fixture_code, wait_until
from tests.process import start_server

SLOW = ("import pathlib, time\n"
        "def handler(event, context):\n"
        "    mark = (event.get('queryStringParameters') or {}).get('mark')\n"
        "    if mark:\n"
        "        pathlib.Path(mark).touch()\n"
        "    time.sleep(1.5)\n"
        "    return {'statusCode': 200, 'body': 'done'}\n")
AUTH = {"Authorization": "Bearer fnemu-dev-token"}


def _refused(response: httpx.Response) -> bool:
    return (response.status_code == 429 and response.headers.get("Retry-After") == "1"
            and response.json()["error"]["code"] == "too_many_requests")


def test_callers_past_the_queue_bound_get_429_and_the_others_are_served(
        make_emulator: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "fnemu.runtime")
    emu = make_emulator(max_workers_per_function=1, max_queue=2)
    emu.deploy("slow", SLOW)
    with ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(lambda _: emu.call("slow"), range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 200, 429, 429, 429], statuses
    assert all(_refused(r) for r in responses if r.status_code == 429)
    assert len(emu.logs("slow")) == 3  # a refused request never ran: it is no invocation
    line = wait_until(lambda: [r.getMessage() for r in caplog.records if "refused 3 requests with 429" in r.getMessage()],
                      timeout=5, message="the refusals to be logged")
    assert "local/slow" in line[0] and "--max-queue" in line[0]


def test_test_invoke_is_bounded_too(make_emulator: Any, tmp_path: Path) -> None:
    emu = make_emulator(max_workers_per_function=1, max_queue=0)
    emu.deploy("slow", SLOW)
    mark = tmp_path / "running"
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(emu.call, "slow", "GET", f"?mark={mark}")
        wait_until(mark.exists, message="the first call to be running")
        assert _refused(emu.http.post("/v1/local/functions/slow/invoke", headers=AUTH, json={}))
        assert busy.result().status_code == 200


def test_fnemu_start_takes_max_queue_and_logs_refusals(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--max-queue", "0", "--max-workers-per-function", "1")
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
            client.post("/v1/local/functions", json={"name": "slow", "code": SLOW}).raise_for_status()
            with ThreadPoolExecutor(3) as pool:
                responses = list(pool.map(lambda _: client.get("/v1/local/fn/slow"), range(3)))
        assert sorted(r.status_code for r in responses) == [200, 429, 429]
        wait_until(lambda: "refused 2 requests with 429" in server.stderr_text(), timeout=5,
                   message="the refusal line on stderr")
    finally:
        server.stop()


def test_a_websocket_frame_past_the_queue_bound_gets_a_429_frame_and_the_socket_stays_open(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--max-queue", "0", "--max-workers-per-function", "1")
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
            client.post("/v1/local/functions", json={
                "name": "chat", "code": fixture_code("python/ws_chat.py"),
                "triggers": [{"type": "websocket", "config": {}}]}).raise_for_status()
        url = server.url.replace("http://", "ws://") + "/v1/local/fn/chat"
        with connect(url, additional_headers=AUTH, open_timeout=30) as ws:
            for frame in ("sleep 1", "refused", "refused too"):
                ws.send(frame)
            assert ws.recv(timeout=30) == "sleep 1"
            for _ in range(2):
                refused = json.loads(ws.recv(timeout=30))
                assert refused["status"] == 429 and refused["id"] is None
                assert refused["error"]["code"] == "too_many_requests"
            ws.send("still open")
            assert ws.recv(timeout=30) == "still open"
        wait_until(lambda: "local/chat@1: refused 2 requests with 429" in server.stderr_text(), timeout=5,
                   message="the refusal line on stderr")
    finally:
        server.stop()
    assert "Traceback" not in server.stderr_text()
