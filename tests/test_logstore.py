"""§4 the log store: bounded per function, newest first, filters, metrics over every invocation."""

from __future__ import annotations

from emulator.logstore import LogEntry, LogStore


def entry(n: int, *, status: int = 200, error: str | None = None, name: str = "fn") -> LogEntry:
    return LogEntry(id=f"id-{n}", app_id="local", function=name, trigger="http", timestamp=1_000.0 + n,
                    method="GET", path=f"/{n}", status_code=status, duration_ms=float(n), memory_mb=10.0,
                    error=error, console=[("log", f"line {n}", 1_000.0 + n)])


def paths(entries: list[LogEntry]) -> list[str]:
    return [e.path for e in entries]


def test_bound_drops_the_oldest_and_metrics_count_every_entry() -> None:
    store = LogStore(bound=3)
    log = store.open("local", "fn")
    for n in range(1, 6):
        log.append(entry(n, status=500 if n == 1 else 200, error="boom" if n == 2 else None))
    assert paths(store.query("local", "fn", limit=1000)) == ["/5", "/4", "/3"]
    assert log.metrics() == {"total_invocations": 5, "error_count": 2, "error_rate": 40.0,
                             "avg_duration_ms": 3.0, "last_invocation": "1970-01-01T00:16:45.000Z"}


def test_metrics_of_a_function_never_called() -> None:
    assert LogStore(bound=10).open("local", "fn").metrics() == {
        "total_invocations": 0, "error_count": 0, "error_rate": 0.0, "avg_duration_ms": 0.0,
        "last_invocation": None}


def test_query_filters_since_errors_and_limit() -> None:
    store = LogStore(bound=100)
    log = store.open("local", "fn")
    for n in range(1, 7):
        log.append(entry(n, status=503 if n % 3 == 0 else 404 if n == 4 else 200))
    assert paths(store.query("local", "fn", limit=2)) == ["/6", "/5"]
    assert paths(store.query("local", "fn", limit=50, since=1_004.0)) == ["/6", "/5", "/4"]
    assert paths(store.query("local", "fn", limit=50, errors_only=True)) == ["/6", "/3"]
    assert paths(store.query("local", "fn", limit=1, since=1_002.0, errors_only=True)) == ["/6"]


def test_a_deleted_functions_logs_need_include_deleted_and_merge_newest_first() -> None:
    store = LogStore(bound=100)
    old = store.open("local", "fn")
    old.append(entry(1))
    old.append(entry(3))
    store.retire("local", "fn")
    assert store.has_deleted("local", "fn") and not store.has_deleted("local", "other")
    assert store.query("local", "fn", limit=50) == []
    new = store.open("local", "fn")
    new.append(entry(2))
    new.append(entry(4))
    assert paths(store.query("local", "fn", limit=50)) == ["/4", "/2"]
    assert paths(store.query("local", "fn", limit=50, include_deleted=True)) == ["/4", "/3", "/2", "/1"]
    assert new.metrics()["total_invocations"] == 2


def test_functions_and_apps_are_kept_apart() -> None:
    store = LogStore(bound=100)
    store.open("local", "a").append(entry(1, name="a"))
    store.open("other", "a").append(entry(2, name="a"))
    assert paths(store.query("local", "a", limit=50)) == ["/1"]
    assert store.query("local", "b", limit=50) == []


def test_listeners_see_every_entry_and_clear_forgets_everything() -> None:
    store = LogStore(bound=1)
    seen: list[LogEntry] = []
    store.listeners.append(seen.append)
    log = store.open("local", "fn")
    log.append(entry(1))
    log.append(entry(2))
    assert paths(seen) == ["/1", "/2"]
    store.retire("local", "fn")
    store.clear()
    assert store.query("local", "fn", limit=50, include_deleted=True) == []
    assert not store.has_deleted("local", "fn")


def test_entry_json_has_the_contract_fields_and_iso_times() -> None:
    assert entry(1, error="boom").to_json() == {
        "id": "id-1", "function": "fn", "trigger": "http", "timestamp": "1970-01-01T00:16:41.000Z",
        "method": "GET", "path": "/1", "status_code": 200, "duration_ms": 1.0, "memory_mb": 10.0,
        "error": "boom", "consoleLogs": [{"level": "log", "message": "line 1",
                                          "timestamp": "1970-01-01T00:16:41.000Z"}],
        "trace": []}
