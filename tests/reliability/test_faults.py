"""§5 faults a function can cause, each costing only its own invocation with a clear log entry,
the next call green. (More live in tests/runtime/test_*_faults.py: exits, signals, timeouts,
memory, output floods, leftover children.)"""

from __future__ import annotations

import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_until
from tests.runtime.procs import gone

FAULTY = ("import os, pathlib, time\n"
          "def handler(event, context):\n"
          "    query = event.get('queryStringParameters') or {}\n"
          "    do = query.get('do')\n"
          "    if do == 'wait':\n"
          "        pathlib.Path(query['mark']).write_text(str(os.getpid()))\n"
          "        time.sleep(60)\n"
          "    if do == 'fork_and_exit':\n"
          "        child = os.fork()\n"
          "        if child == 0:\n"
          "            time.sleep(60)\n"
          "            os._exit(0)\n"
          "        pathlib.Path(query['mark']).write_text(str(child))\n"
          "        os._exit(0)\n"
          "    if do == 'close_fds':\n"
          "        os.closerange(0, 1024)\n"
          "        time.sleep(60)\n"
          "    return {'statusCode': 200, 'body': str(os.getpid())}\n")


def _next_call_is_green(fnemu: Any, pid: int) -> None:
    r = fnemu.call("faulty")
    assert r.status_code == 200 and int(r.text) != pid


@pytest.mark.fault("kill -9 of a worker mid-request")
def test_kill_9_of_a_worker_mid_request_is_a_502_naming_the_signal(fnemu: Any, tmp_path: Path) -> None:
    fnemu.deploy("faulty", FAULTY)
    mark = tmp_path / "pid"
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(fnemu.call, "faulty", "GET", f"?do=wait&mark={mark}")
        wait_until(mark.exists, message="the call to be running")
        pid = int(mark.read_text())
        os.kill(pid, signal.SIGKILL)
        assert call.result().status_code == 502
    assert fnemu.logs("faulty", limit=1)[0]["error"] == "the worker was killed by SIGKILL during the invocation"
    _next_call_is_green(fnemu, pid)


@pytest.mark.fault("a function that forks and exits")
def test_a_function_that_forks_and_exits_leaves_nothing_behind(fnemu: Any, tmp_path: Path) -> None:
    fnemu.deploy("faulty", FAULTY)
    pid = int(fnemu.call("faulty").text)
    mark = tmp_path / "child"
    assert fnemu.call("faulty", "GET", f"?do=fork_and_exit&mark={mark}").status_code == 502
    assert fnemu.logs("faulty", limit=1)[0]["error"] == "the worker exited with code 0 during the invocation"
    wait_until(lambda: gone(int(mark.read_text())), message="the forked child to be killed with its worker")
    _next_call_is_green(fnemu, pid)


@pytest.mark.fault("a function that closes its own fds")
def test_a_function_that_closes_its_own_fds_times_out_alone(fnemu: Any) -> None:
    fnemu.deploy("faulty", FAULTY, timeoutMs=1500)
    pid = int(fnemu.call("faulty").text)
    r = fnemu.call("faulty", "GET", "?do=close_fds")
    assert r.status_code in (502, 504)
    error = fnemu.logs("faulty", limit=1)[0]["error"]
    assert error == "timed out after 1500 ms" or "during the invocation" in error
    _next_call_is_green(fnemu, pid)


@pytest.mark.fault("a clock jump of a year")
def test_a_clock_jump_of_a_year_fires_each_day_once_and_the_next_call_is_green(fnemu: Any) -> None:
    fnemu.deploy("daily", "def handler(event, context):\n    return {'statusCode': 200, 'body': event.get('time', 'now')}\n",
                 triggers=[{"type": "cron", "config": {"schedule": "0 0 * * *"}}, {"type": "http", "config": {}}])
    fired = fnemu.advance_clock(366 * 86400)["fired"]
    assert len(fired) == 366 and {f["status_code"] for f in fired} == {200}
    assert len({f["scheduledTime"] for f in fired}) == 366
    assert fnemu.call("daily").status_code == 200


@pytest.mark.fault("a functions folder that vanishes and comes back")
def test_a_vanished_functions_folder_removes_its_functions_and_the_api_keeps_serving(
        make_emulator: Any, tmp_path: Path) -> None:
    folder = tmp_path / "functions"
    folder.mkdir()
    (folder / "hello.py").write_text("def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n")
    emu = make_emulator(functions_dir=folder)
    assert emu.call("hello").status_code == 200
    emu.deploy("api", "def handler(event, context):\n    return {'statusCode': 200, 'body': 'api'}\n")
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    wait_until(lambda: emu.call("hello").status_code == 404, message="the folder's function to go")
    assert emu.call("api").status_code == 200
