"""§4 the one invoke path: every invocation, from any caller, is shaped, measured and logged alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import fixture_code

SHARED = ("id", "status_code", "duration_ms", "memory_mb", "error", "consoleLogs")


def test_every_call_is_one_log_entry_with_every_field(fnemu: Any) -> None:
    fnemu.deploy("faults", fixture_code("python/faults.py"))
    fnemu.call("faults", "POST", "/deep/path?do=ok")
    fnemu.invoke("faults", method="GET", path="/other")
    invoked, called = fnemu.logs("faults")
    assert set(called) == {"id", "function", "trigger", "timestamp", "method", "path", "status_code",
                           "duration_ms", "memory_mb", "error", "consoleLogs", "trace"}
    assert (called["trigger"], called["method"], called["path"]) == ("http", "POST", "/deep/path")
    assert (invoked["trigger"], invoked["method"], invoked["path"]) == ("invoke", "GET", "/other")
    for entry in (called, invoked):
        assert entry["function"] == "faults"
        assert entry["status_code"] == 200 and entry["error"] is None
        assert entry["duration_ms"] > 0 and entry["memory_mb"] > 0
        assert entry["timestamp"].endswith("Z")
    assert called["id"] != invoked["id"]


def test_test_invoke_envelope_matches_its_log_entry(fnemu: Any) -> None:
    fnemu.deploy("console", fixture_code("python/console.py"))
    envelope = fnemu.invoke("console")
    (entry,) = fnemu.logs("console")
    assert {k: envelope[k] for k in SHARED} == {k: entry[k] for k in SHARED}
    assert envelope["body"] == "logged"
    assert len(envelope["consoleLogs"]) == 8


def test_test_invoke_describes_the_request_the_function_receives(fnemu: Any) -> None:
    fnemu.deploy("echo", fixture_code("python/echo_event.py"))
    envelope = fnemu.invoke("echo", method="PUT", path="/items/3", headers={"X-Trace": "t-1"},
                            query={"tag": ["a", "b"], "q": "x"}, body={"name": "widget"})
    event = json.loads(envelope["body"])["event"]
    assert event["httpMethod"] == "PUT"
    assert event["path"] == "/items/3"
    assert event["headers"]["X-Trace"] == "t-1"
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x"]}
    assert json.loads(event["body"]) == {"name": "widget"}
    assert event["requestContext"]["requestId"] == envelope["id"]


@pytest.mark.parametrize(("query", "fields", "status", "error"), [
    ({"do": "raise"}, {}, 500, "ValueError: boom from the handler"),
    ({"do": "sleep", "seconds": "30"}, {"timeoutMs": 300}, 504, "timed out after 300 ms"),
    ({"do": "os_exit"}, {}, 502, "exited with code 4"),
    ({"do": "alloc", "mb": "300"}, {"memoryLimitMb": 64}, 500, "memory limit exceeded (64 MB)"),
], ids=["raises", "timeout", "exits", "out-of-memory"])
def test_a_failure_is_an_envelope_and_a_log_entry_never_an_api_error(
        fnemu: Any, query: dict[str, str], fields: dict[str, Any], status: int, error: str) -> None:
    fnemu.deploy("faults", fixture_code("python/faults.py"), **fields)
    envelope = fnemu.invoke("faults", method="GET", query=query)
    assert envelope["status_code"] == status
    assert error in envelope["error"]
    (entry,) = fnemu.logs("faults")
    assert {k: envelope[k] for k in SHARED} == {k: entry[k] for k in SHARED}
    assert fnemu.invoke("faults", method="GET")["status_code"] == 200


def test_handler_traceback_is_in_the_envelope_and_the_log(fnemu: Any) -> None:
    fnemu.deploy("faults", fixture_code("python/faults.py"))
    envelope = fnemu.invoke("faults", method="GET", query={"do": "raise"})
    assert "Traceback (most recent call last)" in envelope["error"]
    assert "in handler" in envelope["error"]
    assert fnemu.logs("faults")[0]["error"] == envelope["error"]


def test_code_that_stops_loading_after_an_env_patch_fails_its_invocation(fnemu: Any) -> None:
    fnemu.deploy("fragile", "import os\n"
                            "if os.environ.get('BREAK'):\n"
                            "    raise RuntimeError('broken by env')\n"
                            "def handler(event, context):\n"
                            "    return {'statusCode': 200, 'body': 'ok'}\n")
    fnemu.client.set_env("fragile", {"BREAK": "1"})
    envelope = fnemu.invoke("fragile")
    assert envelope["status_code"] == 500
    assert "did not load: RuntimeError: broken by env (lambda_function.py, line 3)" in envelope["error"]
    assert fnemu.call("fragile").status_code == 500
    fnemu.client.set_env("fragile", {"BREAK": None})
    assert fnemu.call("fragile").text == "ok"
