"""§5 the Python `lambda` style: the seed 000 code, context, console capture, failures, environment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.runtime.platform_env import Platform, lambda_vars, platform_env
from tests.helpers import SEED_000_CODE, fixture_code, wait_until

from .procs import gone


def pid_of(response: Any) -> int:
    assert response.status_code == 200, response.text
    pid: int = response.json()["pid"]
    return pid


# seed 000: the hosted platform's default code, verbatim

def test_seed_000_code_answers_a_get_with_its_query(fnemu: Any) -> None:
    fnemu.deploy("seed", SEED_000_CODE)
    r = fnemu.call("seed", "GET", "/?city=Paris&units=metric")
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "OPTIONS,POST,GET"
    body = r.json()
    assert body["message"].startswith("Go Agent.AI Serverless Python Functions v1.0!")
    assert body["context"] == {"city": "Paris", "units": "metric"}
    assert body["input"]["httpMethod"] == "GET"
    assert body["input"]["queryStringParameters"] == {"city": "Paris", "units": "metric"}


def test_seed_000_code_answers_a_post_with_its_json_context(fnemu: Any) -> None:
    fnemu.deploy("seed", SEED_000_CODE)
    r = fnemu.call("seed", "POST", json={"context": {"user": "ada", "plan": "pro"}})
    assert r.status_code == 200
    body = r.json()
    assert body["context"] == {"user": "ada", "plan": "pro"}
    assert json.loads(body["input"]["body"]) == {"context": {"user": "ada", "plan": "pro"}}
    r = fnemu.call("seed", "POST", json={"no": "context key"})
    assert r.json()["context"] == {"no": "context key"}


# context

def test_context_has_the_lambda_fields(fnemu: Any) -> None:
    fnemu.deploy("ctx", fixture_code("python/echo_event.py"), timeoutMs=7000, memoryLimitMb=256)
    ctx = fnemu.call("ctx").json()["context"]
    (entry,) = fnemu.logs("ctx")
    assert ctx["function_name"] == "ctx"
    assert ctx["function_version"] == "$LATEST"
    assert ctx["memory_limit_in_mb"] == "256"
    assert ctx["aws_request_id"] == entry["id"]
    assert ctx["invoked_function_arn"].startswith("arn:aws:lambda:")
    assert ctx["invoked_function_arn"].endswith(":function:ctx")
    assert ctx["log_group_name"] == "/aws/lambda/ctx"
    assert ctx["log_stream_name"]
    assert 0 < ctx["remaining_ms"] <= 7000


def test_remaining_time_decreases_during_the_invocation(fnemu: Any) -> None:
    fnemu.deploy("clock", "import json, time\n"
                          "def handler(event, context):\n"
                          "    first = context.get_remaining_time_in_millis()\n"
                          "    time.sleep(0.1)\n"
                          "    second = context.get_remaining_time_in_millis()\n"
                          "    return {'statusCode': 200, 'body': json.dumps([first, second])}\n",
                 timeoutMs=3000)
    first, second = fnemu.call("clock").json()
    assert 0 < second < first < 3000
    assert first - second >= 90


# console capture

def test_console_is_captured_with_levels(fnemu: Any) -> None:
    fnemu.deploy("console", fixture_code("python/console.py"))
    assert fnemu.call("console").text == "logged"
    (entry,) = fnemu.logs("console")
    lines = [(line["level"], line["message"]) for line in entry["consoleLogs"]]
    assert lines == [
        ("log", "from print"),
        ("error", "from stderr"),
        ("info", "from logging.info"),
        ("warn", "from logging.warning"),
        ("error", "from logging.error"),
        ("error", "from logging.critical"),
        ("log", "from fd 1"),
        ("error", "from fd 2"),
    ]
    assert all(line["timestamp"].endswith("Z") for line in entry["consoleLogs"])


def test_logging_keeps_the_level_the_function_chose(fnemu: Any) -> None:
    fnemu.deploy("levels", "import logging\n"
                           "log = logging.getLogger('app')\n"
                           "def handler(event, context):\n"
                           "    logging.getLogger().setLevel(logging.DEBUG)\n"
                           "    log.debug('details %d', 7)\n"
                           "    log.warning('careful')\n"
                           "    return {'statusCode': 200, 'body': 'ok'}\n")
    fnemu.call("levels")
    lines = [(line["level"], line["message"]) for line in fnemu.logs("levels")[0]["consoleLogs"]]
    assert lines == [("debug", "details 7"), ("warn", "careful")]


def test_console_belongs_to_its_own_invocation(fnemu: Any) -> None:
    fnemu.deploy("count", "import os\nn = 0\ndef handler(event, context):\n"
                          "    global n\n    n += 1\n    print(f'call {n}')\n    os.write(1, f'raw {n}'.encode())\n"
                          "    return {'statusCode': 200, 'body': str(n)}\n")
    for _ in range(3):
        fnemu.call("count")
    entries = fnemu.logs("count")
    assert [[line["message"] for line in e["consoleLogs"]] for e in entries] == [
        ["call 3", "raw 3"], ["call 2", "raw 2"], ["call 1", "raw 1"]]


@pytest.mark.parametrize("channel", ["print", "raw"])
def test_console_is_capped_and_marked_and_the_response_is_intact(make_emulator: Any, channel: str) -> None:
    emu = make_emulator(console_cap_bytes=4096)
    emu.deploy("flood", fixture_code("python/faults.py"))
    r = emu.call("flood", "GET", f"/?do={channel}&mb=2")
    assert pid_of(r)
    (entry,) = emu.logs("flood")
    *kept, mark = entry["consoleLogs"]
    assert sum(len(line["message"]) for line in kept) == 4096
    assert mark["level"] == "warn"
    assert "truncated at 4096 bytes" in mark["message"]
    assert entry["status_code"] == 200 and entry["error"] is None


def test_console_cap_defaults_to_one_mib(fnemu: Any) -> None:
    fnemu.deploy("flood", fixture_code("python/faults.py"))
    pid_of(fnemu.call("flood", "GET", "/?do=print&mb=2"))
    *kept, mark = fnemu.logs("flood")[0]["consoleLogs"]
    assert sum(len(line["message"]) for line in kept) == 1024 * 1024
    assert "truncated at 1048576 bytes" in mark["message"]


# failures: each costs only its own invocation

def test_handler_exception_is_500_without_the_traceback_in_the_body(fnemu: Any) -> None:
    fnemu.deploy("faulty", fixture_code("python/faults.py"))
    pid = pid_of(fnemu.call("faulty"))
    r = fnemu.call("faulty", "GET", "/?do=raise")
    assert r.status_code == 500
    assert "Traceback" not in r.text and "boom from the handler" not in r.text
    (entry,) = fnemu.logs("faulty", limit=1)
    assert entry["status_code"] == 500
    assert entry["error"].startswith("ValueError: boom from the handler (lambda_function.py, line ")
    assert "Traceback (most recent call last)" in entry["error"]
    assert 'raise ValueError("boom from the handler")' in entry["error"]
    assert "python_worker" not in entry["error"]
    assert pid_of(fnemu.call("faulty")) == pid  # an exception does not cost the worker


def test_handler_exception_is_in_the_test_invoke_envelope(fnemu: Any) -> None:
    fnemu.deploy("faulty", fixture_code("python/faults.py"))
    envelope = fnemu.invoke("faulty", method="GET", query={"do": "raise"})
    assert envelope["status_code"] == 500
    assert "ValueError: boom from the handler" in envelope["error"]
    assert "Traceback (most recent call last)" in envelope["error"]


def test_timeout_kills_the_worker_and_is_504(fnemu: Any) -> None:
    fnemu.deploy("slow", fixture_code("python/faults.py"), timeoutMs=300)
    pid = pid_of(fnemu.call("slow"))
    r = fnemu.call("slow", "GET", "/?do=sleep&seconds=30")
    assert r.status_code == 504
    entry = fnemu.logs("slow", limit=1)[0]
    assert entry["status_code"] == 504
    assert entry["error"] == "timed out after 300 ms"
    assert 300 <= entry["duration_ms"] < 5000
    wait_until(lambda: gone(pid), message="the timed-out worker to die")
    assert pid_of(fnemu.call("slow")) != pid


@pytest.mark.parametrize(("do", "reason"), [
    ("sys_exit", "exited with code 3"),
    ("os_exit", "exited with code 4"),
    ("abort", "killed by SIGABRT"),
    ("sigkill", "killed by SIGKILL"),
])
def test_a_dying_worker_is_502_with_the_reason_and_replaced(fnemu: Any, do: str, reason: str) -> None:
    fnemu.deploy("dies", fixture_code("python/faults.py"))
    pid = pid_of(fnemu.call("dies"))
    r = fnemu.call("dies", "GET", f"/?do={do}")
    assert r.status_code == 502
    entry = fnemu.logs("dies", limit=1)[0]
    assert entry["status_code"] == 502
    assert reason in entry["error"]
    assert gone(pid)
    assert pid_of(fnemu.call("dies")) != pid


def test_memory_mb_is_the_measured_peak_of_each_invocation(fnemu: Any) -> None:
    fnemu.deploy("mem", fixture_code("python/faults.py"), memoryLimitMb=256)
    pid_of(fnemu.call("mem"))
    pid_of(fnemu.call("mem", "GET", "/?do=alloc&mb=50"))
    pid_of(fnemu.call("mem"))
    after, big, before = (e["memory_mb"] for e in fnemu.logs("mem"))
    assert 0 < before < 40
    assert big >= before + 45
    assert after < big - 40  # the peak is per invocation, not the worker's lifetime


# environment

def test_function_sees_its_env_and_the_platform_set_only(make_emulator: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FNEMU_TEST_HOST_SECRET", "must not leak")
    emu = make_emulator()
    emu.deploy("env", "import json, os\n"
                      "def handler(event, context):\n"
                      "    return {'statusCode': 200, 'body': json.dumps(dict(os.environ))}\n",
               envVars={"API_KEY": "k-1", "MODE": "test"}, memoryLimitMb=192)
    env = emu.call("env").json()
    assert env["API_KEY"] == "k-1" and env["MODE"] == "test"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "env"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "192"
    assert env["AWS_REGION"] and env["TZ"] == "UTC"
    lambda_platform = lambda_vars(Platform(name="env", number=1, language="python", memory_mb=192,
                                           region=env["AWS_REGION"], code_dir=env["LAMBDA_TASK_ROOT"],
                                           handler=env["_HANDLER"]))
    platform = platform_env(lambda_platform, region=env["AWS_REGION"], s3_endpoint=env["AWS_ENDPOINT_URL"],
                            user_env={"API_KEY": "k-1", "MODE": "test"})
    # LC_CTYPE: the interpreter's own locale coercion (PEP 538) where LANG's locale is missing
    assert set(env) - {"LC_CTYPE"} == set(platform)
    assert "FNEMU_TEST_HOST_SECRET" not in env


def test_env_patch_is_seen_by_the_very_next_invocation_also_at_import(fnemu: Any) -> None:
    fnemu.deploy("env", "import json, os\n"
                        "AT_IMPORT = os.environ.get('COLOR')\n"
                        "def handler(event, context):\n"
                        "    return {'statusCode': 200, 'body': json.dumps([AT_IMPORT, os.environ.get('COLOR'),\n"
                        "                                                   os.environ.get('GONE'), os.getpid()])}\n",
                 envVars={"COLOR": "red", "GONE": "soon"})
    *values, pid = fnemu.call("env").json()
    assert values == ["red", "red", "soon"]
    assert fnemu.client.set_env("env", {"COLOR": "blue", "GONE": None}) == ["COLOR"]
    *values, new_pid = fnemu.call("env").json()
    assert values == ["blue", "blue", None]
    assert new_pid != pid
    wait_until(lambda: gone(pid), message="the worker with the old env to stop")

