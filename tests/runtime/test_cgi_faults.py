"""§5 a CGI script that fails costs only its own request: crashes and bad output (502), timeouts
(504), memory limits (500), console capture and caps, and nothing it started outlives it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
from typing import Any

import httpx
import pytest

from tests.helpers import fixture_code, wait_until

from .procs import descendants, gone

PY = fixture_code("cgi/script.py")
NODE = fixture_code("cgi/script.mjs")


def _deploy(fnemu: Any, code: str = PY, **fields: Any) -> None:
    fnemu.deploy("cgi", code, runtime="cgi", language="node" if code is NODE else "python", **fields)


@pytest.mark.parametrize(("do", "error"), [
    ("exit", "the script exited with code 3"),
    ("sigkill", "the script was killed by SIGKILL"),
    ("raise", "the script exited with code 1"),
    ("no_headers", "header line 1 is not `Name: value`: 'just some text'"),
    ("nothing", "the script wrote nothing to stdout"),
    ("bad_status", "Status must be a 3-digit code"),
    ("nph", "'HTTP/1.1 200 OK' is a status line, which only non-parsed-header (NPH) scripts write"),
])
def test_a_failed_script_is_a_502_with_a_clear_error(fnemu: Any, do: str, error: str) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", f"/?do={do}")
    assert r.status_code == 502
    entry = fnemu.logs("cgi")[0]
    assert entry["status_code"] == 502 and error in entry["error"]
    assert fnemu.call("cgi").status_code == 200  # the next request is fine


def test_an_endless_response_is_cut_at_the_memory_limit(fnemu: Any) -> None:
    _deploy(fnemu, memoryLimitMb=64)
    assert fnemu.call("cgi", "GET", "/?do=endless").status_code == 502
    assert "the script's response passed 64 MB (its memoryLimitMb)" in fnemu.logs("cgi")[0]["error"]


def test_a_crash_keeps_what_the_script_wrote_to_stderr(fnemu: Any) -> None:
    _deploy(fnemu)
    fnemu.call("cgi", "GET", "/?do=raise")
    lines = fnemu.logs("cgi")[0]["consoleLogs"]
    assert {line["level"] for line in lines} == {"error"}
    assert lines[-1]["message"] == "ValueError: boom from the script"


def test_a_node_script_that_throws_is_a_502(fnemu: Any) -> None:
    _deploy(fnemu, NODE)
    assert fnemu.call("cgi", "GET", "/?do=throw").status_code == 502
    entry = fnemu.logs("cgi")[0]
    assert "the script exited with code 1" in entry["error"]
    assert any("boom from node" in line["message"] for line in entry["consoleLogs"])


def test_stderr_lines_are_error_console_lines(fnemu: Any) -> None:
    _deploy(fnemu)
    assert fnemu.call("cgi", "GET", "/?do=stderr&lines=3").content == b"logged"
    lines = fnemu.logs("cgi")[0]["consoleLogs"]
    assert [(line["level"], line["message"]) for line in lines] == [("error", f"line {n}") for n in range(3)]
    _deploy(fnemu, NODE)
    fnemu.call("cgi", "GET", "/?do=log")
    assert [line["message"] for line in fnemu.logs("cgi")[0]["consoleLogs"]] == ["from node stderr"]


def test_a_stderr_flood_is_capped_and_marked_and_the_response_is_fine(fnemu: Any) -> None:
    _deploy(fnemu, timeoutMs=60_000)
    r = fnemu.call("cgi", "GET", "/?do=flood&mb=20")
    assert (r.status_code, r.content) == (200, b"flooded")
    *kept, mark = fnemu.logs("cgi", limit=1)[0]["consoleLogs"]
    assert sum(len(line["message"]) for line in kept) == 1024 * 1024
    assert mark["level"] == "warn" and "truncated" in mark["message"]


def test_past_the_timeout_is_504_and_the_script_and_its_children_are_killed(fnemu: Any) -> None:
    _deploy(fnemu, timeoutMs=500)
    r = fnemu.call("cgi", "GET", "/?do=hang")
    assert r.status_code == 504
    entry = fnemu.logs("cgi", limit=1)[0]
    assert entry["error"] == "timed out after 500 ms"
    child = json.loads(entry["consoleLogs"][0]["message"])["child"]
    wait_until(lambda: gone(child), message="the script's child to die with the worker")
    assert fnemu.call("cgi").status_code == 200


def test_what_a_script_leaves_running_is_killed_when_it_exits(fnemu: Any) -> None:
    _deploy(fnemu)
    left = fnemu.call("cgi", "GET", "/?do=leave").json()
    assert gone(left["pid"]) and gone(left["child"])


def test_a_child_holding_stdout_does_not_hold_the_response(fnemu: Any) -> None:
    _deploy(fnemu, timeoutMs=5000)
    r = fnemu.call("cgi", "GET", "/?do=leave_holding_stdout")
    assert r.status_code == 200 and gone(r.json()["child"])
    assert fnemu.logs("cgi")[0]["duration_ms"] < 2000


def test_memory_is_measured_per_request(fnemu: Any) -> None:
    _deploy(fnemu, memoryLimitMb=256)
    assert fnemu.call("cgi", "GET", "/?do=alloc&mb=80").content == str(80 << 20).encode()
    big = fnemu.logs("cgi")[0]["memory_mb"]
    fnemu.call("cgi", "GET", "/?do=lf_only")
    small = fnemu.logs("cgi")[0]["memory_mb"]
    assert big > 80 and 0 < small < 40


def test_a_python_script_past_its_memory_limit_is_500(fnemu: Any) -> None:
    _deploy(fnemu, memoryLimitMb=64)
    assert fnemu.call("cgi", "GET", "/?do=alloc&mb=40").status_code == 200
    r = fnemu.call("cgi", "GET", "/?do=alloc&mb=200")
    assert r.status_code == 500
    entry = fnemu.logs("cgi", limit=1)[0]
    assert entry["error"].startswith("memory limit exceeded (64 MB): MemoryError")
    assert fnemu.call("cgi").status_code == 200


def test_a_node_script_past_its_heap_limit_is_500(fnemu: Any) -> None:
    _deploy(fnemu, NODE, memoryLimitMb=64, timeoutMs=60_000)
    r = fnemu.call("cgi", "GET", "/?do=heap")
    assert r.status_code == 500
    entry = fnemu.logs("cgi", limit=1)[0]
    assert entry["error"] == "memory limit exceeded (64 MB): JavaScript heap out of memory"
    assert entry["memory_mb"] > 50
    assert fnemu.call("cgi").status_code == 201


def test_a_running_script_does_not_outlive_the_emulator_killed_with_sigkill(
        fnemu_process: tuple[subprocess.Popen[str], httpx.Client]) -> None:
    """The runner dies with the emulator and the script with the runner (PDEATHSIG both)."""
    proc, client = fnemu_process
    client.post("/v1/local/functions", json={"name": "cgi", "code": PY, "runtime": "cgi", "language": "python",
                                             "timeoutMs": 60_000}).raise_for_status()
    threading.Thread(target=_call_quietly, args=(client, "/v1/local/fn/cgi?do=hang"), daemon=True).start()
    started = wait_until(lambda: len(found := descendants(proc.pid)) >= 3 and found,
                         message="the runner, the script and its child")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    runner_and_script = {pid for pid in started if not _is_sleep(pid)}
    assert len(runner_and_script) == 2
    wait_until(lambda: all(gone(pid) for pid in runner_and_script), message="the runner and the script to stop")
    for pid in started - runner_and_script:  # the script's own child is reparented, as any orphan
        os.kill(pid, signal.SIGKILL)


def _call_quietly(client: httpx.Client, url: str) -> None:
    try:
        client.get(url, timeout=60)
    except httpx.HTTPError:
        pass


def _is_sleep(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip() == "sleep"
    except OSError:
        return False
