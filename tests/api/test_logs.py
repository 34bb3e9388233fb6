"""§4 logs: entries newest first, the query parameters, the per-function bound, and metrics."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from tests.helpers import wait_until

from .expect import ISO_MS_Z, OK, api_error

# Answers by path: /raise raises, /NNN answers status NNN, anything else 200.
BY_PATH = '''import sys

def handler(event, context):
    path = event["path"]
    print("handling", path)
    if path == "/raise":
        raise RuntimeError("asked to raise")
    status = int(path[1:]) if path[1:].isdigit() else 200
    print("to stderr", file=sys.stderr)
    return {"statusCode": status, "body": path}
'''

ENTRY_FIELDS = {"id", "function", "trigger", "timestamp", "method", "path", "status_code", "duration_ms",
                "memory_mb", "error", "consoleLogs", "trace"}


def logs_response(fnemu, name: str, query: str = ""):
    return fnemu.http.get(f"/v1/local/functions/{name}/logs{query}",
                          headers={"Authorization": f"Bearer {fnemu.token}"})


def test_every_invocation_is_one_entry_newest_first_with_every_field(fnemu) -> None:
    fnemu.deploy("paths", BY_PATH)
    fnemu.call("paths", "GET", "/first")
    fnemu.call("paths", "POST", "/second", json={})
    fnemu.invoke("paths", method="DELETE", path="/third")
    response = logs_response(fnemu, "paths")
    assert response.status_code == 200 and list(response.json()) == ["logs"]
    entries = response.json()["logs"]
    assert [(e["method"], e["path"], e["trigger"]) for e in entries] == [
        ("DELETE", "/third", "invoke"), ("POST", "/second", "http"), ("GET", "/first", "http")]
    assert len({e["id"] for e in entries}) == 3
    for entry in entries:
        assert set(entry) == ENTRY_FIELDS
        assert (entry["function"], entry["status_code"], entry["error"]) == ("paths", 200, None)
        assert ISO_MS_Z.match(entry["timestamp"])
        assert entry["duration_ms"] > 0 and entry["memory_mb"] > 0
        assert [(c["level"], c["message"]) for c in entry["consoleLogs"]] == [
            ("log", f"handling {entry['path']}"), ("error", "to stderr")]
        assert all(ISO_MS_Z.match(c["timestamp"]) for c in entry["consoleLogs"])
    assert entries[0]["timestamp"] >= entries[1]["timestamp"] >= entries[2]["timestamp"]


def test_limit_defaults_to_50_and_ranges_from_1_to_1000(fnemu) -> None:
    fnemu.deploy("busy", OK)
    for i in range(55):
        assert fnemu.call("busy", path=f"/{i}").status_code == 200
    assert [e["path"] for e in fnemu.logs("busy")] == [f"/{i}" for i in range(54, 4, -1)]
    assert len(fnemu.logs("busy", limit=1000)) == 55
    assert [e["path"] for e in fnemu.logs("busy", limit=1)] == ["/54"]


BAD_QUERIES = [
    ("?limit=0", "limit", ["1 to 1000"]),
    ("?limit=1001", "limit", ["1 to 1000"]),
    ("?limit=-1", "limit", ["1 to 1000"]),
    ("?limit=ten", "limit", ["integer"]),
    ("?limit=1.5", "limit", ["integer"]),
    ("?limit=1_0", "limit", ["integer"]),
    ("?since=yesterday", "since", ["ISO 8601"]),
    ("?since=2026-13-01", "since", ["ISO 8601"]),
    ("?since=1767225600", "since", ["ISO 8601"]),
    ("?level=warn", "level", ["error or all"]),
    ("?level=ERROR", "level", ["error or all"]),
    ("?include_deleted=maybe", "include_deleted", ["true or false"]),
]


def test_bad_query_value_is_400_naming_the_parameter(fnemu) -> None:
    fnemu.deploy("quiet", OK)
    for query, field, words in BAD_QUERIES:
        api_error(logs_response(fnemu, "quiet", query), 400, field, *words)


def test_since_keeps_entries_at_or_after_the_instant(fnemu) -> None:
    fnemu.deploy("timed", OK)
    fnemu.call("timed", path="/before")
    boundary_ms = int(time.time() * 1000) + 1
    wait_until(lambda: time.time() * 1000 > boundary_ms, message="the clock to pass the boundary")
    fnemu.call("timed", path="/after")
    since = datetime.fromtimestamp(boundary_ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")
    assert [e["path"] for e in fnemu.logs("timed", since=since)] == ["/after"]
    assert [e["path"] for e in fnemu.logs("timed", since=since.replace("+00:00", "Z"))] == ["/after"]
    assert [e["path"] for e in fnemu.logs("timed", since="2000-01-01")] == ["/after", "/before"]
    assert fnemu.logs("timed", since="2999-01-01T00:00:00Z") == []


def test_level_error_keeps_entries_with_an_error_or_a_5xx(fnemu) -> None:
    fnemu.deploy("mixed", BY_PATH)
    for path in ("/ok", "/raise", "/404", "/503", "/201"):
        fnemu.call("mixed", path=path)
    errors = fnemu.logs("mixed", level="error")
    assert [(e["path"], e["status_code"]) for e in errors] == [("/503", 503), ("/raise", 500)]
    assert "asked to raise" in errors[1]["error"]
    assert len(fnemu.logs("mixed", level="all")) == 5
    assert [e["path"] for e in fnemu.logs("mixed", level="error", limit=1)] == ["/503"]


def test_include_deleted_reads_a_deleted_functions_logs(fnemu) -> None:
    fnemu.deploy("gone", BY_PATH)
    fnemu.call("gone", path="/raise")
    fnemu.call("gone", path="/ok")
    assert fnemu.logs("gone", include_deleted=False) == fnemu.logs("gone", include_deleted=True)
    fnemu.client.delete("gone")
    api_error(logs_response(fnemu, "gone", "?include_deleted=false"), 404, "name", "include_deleted=true")
    assert [e["path"] for e in fnemu.logs("gone", include_deleted=True)] == ["/ok", "/raise"]
    assert [e["path"] for e in fnemu.logs("gone", include_deleted=True, level="error")] == ["/raise"]


def test_bound_keeps_the_newest_entries_and_metrics_count_every_invocation(make_emulator) -> None:
    emu = make_emulator(max_log_entries=3)
    emu.deploy("bounded", BY_PATH)
    for path in ("/raise", "/a", "/500", "/b", "/c"):
        emu.call("bounded", path=path)
    entries = emu.logs("bounded", limit=1000)
    assert [e["path"] for e in entries] == ["/c", "/b", "/500"]
    metrics = emu.client.get("bounded")["metrics"]
    assert (metrics["total_invocations"], metrics["error_count"], metrics["error_rate"]) == (5, 2, 40.0)
    assert metrics["avg_duration_ms"] > 0
    assert metrics["last_invocation"] == entries[0]["timestamp"]


def test_metrics_average_the_durations_and_stamp_the_last_invocation(fnemu) -> None:
    fnemu.deploy("measured", BY_PATH)
    for path in ("/a", "/raise", "/b", "/c"):
        fnemu.call("measured", path=path)
    entries = fnemu.logs("measured")
    metrics = fnemu.client.get("measured")["metrics"]
    assert (metrics["total_invocations"], metrics["error_count"], metrics["error_rate"]) == (4, 1, 25.0)
    assert metrics["avg_duration_ms"] == pytest.approx(sum(e["duration_ms"] for e in entries) / 4, abs=0.001)
    assert ISO_MS_Z.match(metrics["last_invocation"]) and metrics["last_invocation"] == entries[0]["timestamp"]
