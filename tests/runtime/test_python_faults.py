"""§5 fault isolation for Python workers: memory limit, runaway loops, floods, leftover processes."""

from __future__ import annotations

from typing import Any

from emulator.config import Config
from emulator.pytest_plugin import Emulator, EmulatorThread
from tests.helpers import SEED_000_CODE, fixture_code, wait_until

from .procs import gone

FAULTS = fixture_code("python/faults.py")


def test_memory_limit_applies_on_top_of_the_interpreter(fnemu: Any) -> None:
    fnemu.deploy("seed", SEED_000_CODE, memoryLimitMb=64)
    assert fnemu.call("seed").status_code == 200
    fnemu.deploy("mem", FAULTS, memoryLimitMb=64)
    r = fnemu.call("mem", "GET", "/?do=alloc&mb=55")
    assert r.status_code == 200
    assert fnemu.logs("mem")[0]["memory_mb"] > 55


def test_past_the_memory_limit_is_500_and_a_fresh_worker(fnemu: Any) -> None:
    fnemu.deploy("mem", FAULTS, memoryLimitMb=64)
    pid = fnemu.call("mem").json()["pid"]
    r = fnemu.call("mem", "GET", "/?do=alloc&mb=200")
    assert r.status_code == 500
    entry = fnemu.logs("mem", limit=1)[0]
    assert entry["status_code"] == 500
    assert entry["error"].startswith("memory limit exceeded (64 MB): MemoryError")
    wait_until(lambda: gone(pid), message="the worker to die")
    assert fnemu.call("mem").json()["pid"] != pid


def test_a_leak_that_leaves_no_room_is_still_reported_as_out_of_memory(fnemu: Any) -> None:
    """Memory filled to the last bytes: the worker must still format and send its report."""
    fnemu.deploy("leak", FAULTS, memoryLimitMb=64)
    r = fnemu.call("leak", "GET", "/?do=hoard")
    assert r.status_code == 500
    entry = fnemu.logs("leak", limit=1)[0]
    assert "memory limit exceeded (64 MB)" in entry["error"]
    assert entry["memory_mb"] > 50
    assert fnemu.call("leak").status_code == 200


def test_threads_fit_in_the_default_memory_limit(fnemu: Any) -> None:
    """RLIMIT_AS counts address space: malloc's per-thread arenas must not eat the limit."""
    fnemu.deploy("threads", FAULTS)
    r = fnemu.call("threads", "GET", "/?do=threads&n=8")
    assert r.status_code == 200, fnemu.logs("threads")[0]["error"]


def test_memory_limit_follows_the_function_setting(fnemu: Any) -> None:
    fnemu.deploy("mem", FAULTS, memoryLimitMb=64)
    assert fnemu.call("mem", "GET", "/?do=alloc&mb=100").status_code == 500
    fnemu.deploy("mem", FAULTS, memoryLimitMb=256)
    assert fnemu.call("mem", "GET", "/?do=alloc&mb=100").status_code == 200


def test_busy_loop_past_the_timeout_is_504_and_the_worker_is_killed(fnemu: Any) -> None:
    fnemu.deploy("spin", FAULTS, timeoutMs=400)
    pid = fnemu.call("spin").json()["pid"]
    r = fnemu.call("spin", "GET", "/?do=busy")
    assert r.status_code == 504
    entry = fnemu.logs("spin", limit=1)[0]
    assert entry["error"] == "timed out after 400 ms"
    assert entry["memory_mb"] > 0
    wait_until(lambda: gone(pid), message="the timed-out worker to die")
    assert fnemu.call("spin").status_code == 200


def test_printing_50_mb_is_capped_and_the_response_is_fine(fnemu: Any) -> None:
    fnemu.deploy("loud", FAULTS, timeoutMs=60_000)
    for channel in ("print", "raw"):
        r = fnemu.call("loud", "GET", f"/?do={channel}&mb=50")
        assert r.status_code == 200 and "pid" in r.json()
        *kept, mark = fnemu.logs("loud", limit=1)[0]["consoleLogs"]
        assert sum(len(line["message"]) for line in kept) == 1024 * 1024, channel
        assert "truncated" in mark["message"]


def test_leftover_child_process_and_thread_die_with_a_replaced_worker(fnemu: Any) -> None:
    fnemu.deploy("leaver", FAULTS)
    answer = fnemu.call("leaver", "GET", "/?do=leave").json()
    assert not gone(answer["child"])
    assert fnemu.call("leaver").json()["pid"] == answer["pid"]  # a live thread does not hold the call
    fnemu.deploy("leaver", FAULTS + "\n")
    wait_until(lambda: gone(answer["pid"]) and gone(answer["child"]),
               message="the old worker and its child to stop")


def test_leftover_child_process_dies_when_the_emulator_stops() -> None:
    thread = EmulatorThread(Config(port=0))
    emu = Emulator(thread, thread.start())
    try:
        emu.deploy("leaver", FAULTS)
        answer = emu.call("leaver", "GET", "/?do=leave").json()
    finally:
        emu.close()
        thread.stop()
    wait_until(lambda: gone(answer["pid"]) and gone(answer["child"]),
               message="the worker and its child to stop")
