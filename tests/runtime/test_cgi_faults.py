"""§5 a CGI script that fails costs only its own request: crashes and bad output (502), timeouts
(504), memory limits (500), console capture and caps, and nothing it started outlives it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import fixture_code, wait_until

from .procs import gone

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
])
def test_a_failed_script_is_a_502_with_a_clear_error(fnemu: Any, do: str, error: str) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", f"/?do={do}")
    assert r.status_code == 502
    entry = fnemu.logs("cgi")[0]
    assert entry["status_code"] == 502 and error in entry["error"]
    assert fnemu.call("cgi").status_code == 200  # the next request is fine


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
    import json

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
