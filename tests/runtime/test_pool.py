"""§5 warm workers: reuse, the per-function cap under concurrent load, idle stop, version swaps."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.helpers import fixture_code, wait_until

from .procs import gone

SLOW_ECHO = ("import json, os, time\n"
             "def handler(event, context):\n"
             "    time.sleep(0.05)\n"
             "    n = event['queryStringParameters']['n']\n"
             "    return {'statusCode': 200, 'body': json.dumps({'n': n, 'pid': os.getpid()})}\n")
VERSIONED = ("import json, os\n"
             "def handler(event, context):\n"
             "    return {{'statusCode': 200, 'body': json.dumps({{'v': {v}, 'pid': os.getpid()}})}}\n")


def test_consecutive_calls_reuse_one_warm_worker(fnemu: Any) -> None:
    fnemu.deploy("warm", fixture_code("python/faults.py"))
    pids = {fnemu.call("warm").json()["pid"] for _ in range(5)}
    assert len(pids) == 1


def test_concurrent_calls_share_at_most_the_cap_of_workers(make_emulator: Any) -> None:
    emu = make_emulator(max_workers_per_function=2)
    emu.deploy("busy", SLOW_ECHO)
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda n: emu.call("busy", "GET", f"/?n={n}"), range(16)))
    assert [r.status_code for r in responses] == [200] * 16
    assert [r.json()["n"] for r in responses] == [str(n) for n in range(16)]
    pids = {r.json()["pid"] for r in responses}
    assert 1 <= len(pids) <= 2
    assert len(emu.logs("busy")) == 16


def test_idle_workers_stop_after_the_idle_time(make_emulator: Any) -> None:
    emu = make_emulator(idle_worker_seconds=0.3)
    emu.deploy("idle", fixture_code("python/faults.py"))
    pid = emu.call("idle").json()["pid"]
    wait_until(lambda: gone(pid), timeout=10, message="the idle worker to stop")
    assert emu.call("idle").json()["pid"] != pid


def test_redeploy_serves_only_new_code_and_stops_old_workers(fnemu: Any) -> None:
    fnemu.deploy("swap", VERSIONED.format(v=1))
    old_pid = fnemu.call("swap").json()["pid"]
    fnemu.deploy("swap", VERSIONED.format(v=2))
    answers = [fnemu.call("swap").json() for _ in range(10)]
    assert {a["v"] for a in answers} == {2}
    assert old_pid not in {a["pid"] for a in answers}
    wait_until(lambda: gone(old_pid), message="the old version's worker to stop")


def test_redeploy_during_concurrent_load_never_serves_old_code_afterwards(make_emulator: Any) -> None:
    emu = make_emulator(max_workers_per_function=3)
    emu.deploy("swap", VERSIONED.format(v=1))
    with ThreadPoolExecutor(6) as pool:
        before = list(pool.map(lambda _: emu.call("swap").json(), range(6)))
        old_pids = {a["pid"] for a in before}
        emu.deploy("swap", VERSIONED.format(v=2))
        after = list(pool.map(lambda _: emu.call("swap").json(), range(12)))
    assert {a["v"] for a in after} == {2}
    wait_until(lambda: all(gone(pid) for pid in old_pids), message="every old worker to stop")


def test_time_waiting_for_a_worker_is_not_taken_from_the_function(make_emulator: Any) -> None:
    emu = make_emulator(max_workers_per_function=1)
    emu.deploy("queued", "import time\n"
                         "def handler(event, context):\n"
                         "    remaining = context.get_remaining_time_in_millis()\n"
                         "    time.sleep(0.5)\n"
                         "    return {'statusCode': 200, 'body': str(remaining)}\n", timeoutMs=1000)
    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(lambda _: emu.call("queued"), range(2)))
    assert [r.status_code for r in responses] == [200, 200]
    assert all(750 < int(r.text) <= 1000 for r in responses)
