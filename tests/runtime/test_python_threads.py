"""Exceptions in threads a Python function starts: each is the invocation's that started the thread.
While it runs, the exception is printed to its log (as Lambda's runtime prints it) and does not fail
it; once it has answered, the exception is a late error, reported as the Node worker reports one:
the answer stands, one line on stderr names the function and the invocation, the traceback goes
into that invocation's log entry, and the same worker serves on."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_until

THREADS = """import os, threading, time

started = []


def wait_for(mark):
    deadline = time.monotonic() + 10
    while not os.path.exists(mark) and time.monotonic() < deadline:  # the test makes it when it is time
        time.sleep(0.002)


def late(mark):
    wait_for(mark)
    raise ValueError('late from a thread')


def outer(mark):
    wait_for(mark)
    inner = threading.Thread(target=late, args=(mark,), name='inner')
    started.append(inner)
    inner.start()


def during():
    print('before the raise')
    raise KeyError('during the call')


def handler(event, context):
    query = event.get('queryStringParameters') or {}
    do, mark = query.get('do'), query.get('mark')
    if do == 'late':
        threading.Thread(target=late, args=(mark,), name='worker').start()
    elif do == 'nested':
        thread = threading.Thread(target=outer, args=(mark,), name='outer')
        started.append(thread)
        thread.start()
    elif do == 'release':
        open(mark, 'w').close()
        while started:  # the threads an earlier invocation left, to their end, inside this one
            started.pop(0).join()
    elif do == 'during':
        thread = threading.Thread(target=during, name='helper')
        thread.start()
        thread.join()
    return {'statusCode': 200, 'body': str(os.getpid())}
"""
LINE = THREADS.splitlines().index("    raise ValueError('late from a thread')") + 1
LATE = f"ValueError: late from a thread (lambda_function.py, line {LINE})"


def _stderr(caplog: pytest.LogCaptureFixture, start: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(start)]


def test_a_thread_raising_after_the_answer_keeps_the_200_and_is_reported_as_its_invocation_s(
        fnemu: Any, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    caplog.set_level(logging.WARNING, "fnemu.worker")
    fnemu.deploy("threads", THREADS)
    mark = tmp_path / "raise"
    answered = fnemu.call("threads", "GET", f"?do=late&mark={mark}")
    assert answered.status_code == 200
    entry = fnemu.logs("threads", limit=1)[0]
    assert entry["status_code"] == 200 and entry["error"] is None and entry["consoleLogs"] == []
    mark.touch()  # the thread raises only now, after the answer was received
    line = f"local/threads@1: {LATE}: an exception in thread worker after invocation {entry['id']} had answered"
    lines = wait_until(lambda: _stderr(caplog, line), message="the late error's line on stderr")
    assert len(lines) == 1, lines
    logged = wait_until(lambda: [c["message"] for c in fnemu.logs("threads", limit=1)[0]["consoleLogs"]],
                        message="the late error in its invocation's entry")
    assert len(logged) == 1 and logged[0].startswith(f"{LATE}: an exception in thread worker after")
    traceback = logged[0].split("\n", 1)[1]
    assert traceback.startswith("Traceback (most recent call last):")
    assert f'lambda_function.py", line {LINE}, in late' in traceback
    assert "python_worker.py" not in traceback and "threading.py" not in traceback
    after = fnemu.call("threads")
    assert after.status_code == 200 and after.text == answered.text  # the same worker
    assert [e["status_code"] for e in fnemu.logs("threads")] == [200, 200]


def test_a_thread_started_by_an_invocation_s_thread_is_that_invocation_s_even_while_another_runs(
        fnemu: Any, caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    """The owner is fixed when the thread starts: the invocation running when it raises (here the
    second, which releases and joins it) neither fails nor gets the error in its log."""
    caplog.set_level(logging.WARNING, "fnemu.worker")
    fnemu.deploy("threads", THREADS)
    mark = tmp_path / "raise"
    first = fnemu.call("threads", "GET", f"?do=nested&mark={mark}")
    owner = fnemu.logs("threads", limit=1)[0]["id"]
    second = fnemu.call("threads", "GET", f"?do=release&mark={mark}")
    assert first.status_code == second.status_code == 200 and first.text == second.text
    running = fnemu.logs("threads", limit=1)[0]
    assert running["id"] != owner and running["error"] is None and running["consoleLogs"] == []
    line = f"local/threads@1: {LATE}: an exception in thread inner after invocation {owner} had answered"
    wait_until(lambda: _stderr(caplog, line), message="the late error's line, naming the first invocation")
    assert not _stderr(caplog, f"local/threads@1: {LATE}: an exception in thread inner after invocation {running['id']}")
    assert fnemu.call("threads").status_code == 200


def test_a_thread_raising_while_its_invocation_runs_is_printed_to_its_log_and_does_not_fail_it(
        fnemu: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "fnemu.worker")
    fnemu.deploy("threads", THREADS)
    response = fnemu.call("threads", "GET", "?do=during")
    assert response.status_code == 200
    entry = fnemu.logs("threads", limit=1)[0]
    assert entry["error"] is None
    logged = [(c["level"], c["message"]) for c in entry["consoleLogs"]]
    assert logged[0] == ("log", "before the raise")
    assert ("error", "Exception in thread helper:") in logged
    assert logged[-1] == ("error", "KeyError: 'during the call'")
    assert any("in during" in message for _, message in logged)
    assert not _stderr(caplog, "local/threads@1:")  # not a late error


OWN_HOOK = """import os, threading

threading.excepthook = lambda args: print(f'own hook: {args.exc_type.__name__} in {args.thread.name}')


def handler(event, context):
    thread = threading.Thread(target=lambda: 1 / 0, name='helper')
    thread.start()
    thread.join()
    return {'statusCode': 200, 'body': str(os.getpid())}
"""


def test_a_function_s_own_threading_excepthook_wins(fnemu: Any) -> None:
    fnemu.deploy("hooked", OWN_HOOK)
    assert fnemu.call("hooked").status_code == 200
    logged = [c["message"] for c in fnemu.logs("hooked", limit=1)[0]["consoleLogs"]]
    assert logged == ["own hook: ZeroDivisionError in helper"]
