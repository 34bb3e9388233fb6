"""§5 one worker process driven directly: console edges, cancellation, out of memory."""

from __future__ import annotations

import asyncio

import pytest

from emulator.errors import WorkerCrashed, WorkerOutOfMemory, WorkerTimeout

from .procs import until_gone
from .workers import Spawn, invoke


async def test_raw_output_written_just_before_returning_belongs_to_the_call(spawn: Spawn) -> None:
    worker = await spawn("import os\n"
                         "def handler(event, context):\n"
                         "    for i in range(3000):\n"
                         "        os.write(1, b'%d %s\\n' % (i, b'x' * 100))\n"
                         "    os.write(1, b'no newline at the end')\n"
                         "    return 'done'\n")
    for n in (1, 2):
        result = await worker.call(invoke(n), 10)
        lines = [message for _, message, _ in result.console]
        assert len(lines) == 3001
        assert lines[0].startswith("0 ") and lines[2999].startswith("2999 ")
        assert lines[-1] == "no newline at the end"


async def test_a_cancelled_call_stops_the_worker(spawn: Spawn) -> None:
    worker = await spawn("import time\n"
                         "def handler(event, context):\n"
                         "    time.sleep(event)\n"
                         "    return event\n")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(worker.call(invoke(1, 0.5), 10), 0.1)
    assert not worker.alive
    await until_gone(worker.pid)


async def test_an_out_of_memory_worker_is_never_handed_on(spawn: Spawn) -> None:
    worker = await spawn("def handler(event, context):\n"
                         "    return len(b'x' * (200 << 20))\n", memory_mb=64)
    with pytest.raises(WorkerOutOfMemory, match=r"memory limit exceeded \(64 MB\): MemoryError"):
        await worker.call(invoke(1), 10)
    assert not worker.alive


async def test_memory_limit_is_counted_from_the_interpreter_start(spawn: Spawn) -> None:
    worker = await spawn("def handler(event, context):\n"
                         "    return len(b'x' * (event << 20))\n", memory_mb=64)
    result = await worker.call(invoke(1, 55), 10)
    assert result.value == 55 << 20
    assert result.memory_kb > 55 << 10


async def test_node_past_its_heap_limit_is_out_of_memory_not_a_crash(spawn: Spawn) -> None:
    """V8 aborts (SIGABRT) at --max-old-space-size; its message on stderr tells it from a crash."""
    worker = await spawn("const kept = [];\n"
                         "export const handler = async () => { for (;;) kept.push({ n: Math.random() }); };\n",
                         language="node", memory_mb=2048, node_flags=["--max-old-space-size=24"])
    with pytest.raises(WorkerOutOfMemory, match=r"memory limit exceeded \(2048 MB\): JavaScript heap out of memory"):
        await worker.call(invoke(1), 30)
    assert not worker.alive


async def test_node_rss_past_the_limit_is_stopped_mid_call(spawn: Spawn) -> None:
    """Buffers live outside V8's heap, and a loop that never awaits never lets the worker check:
    the parent's watchdog kills it long before the timeout."""
    worker = await spawn("const kept = [];\n"
                         "export const handler = async () => { for (;;) kept.push(Buffer.alloc(4 << 20, 1)); };\n",
                         language="node", memory_mb=64)
    with pytest.raises(WorkerOutOfMemory, match=r"memory limit exceeded \(64 MB\): the function used") as caught:
        await worker.call(invoke(1), 60)
    assert caught.value.memory_kb > 64 << 10
    await until_gone(worker.pid)



async def test_a_timed_out_call_carries_its_console_and_peak_memory(spawn: Spawn) -> None:
    worker = await spawn("import os, time\n"
                         "def handler(event, context):\n"
                         "    kept = b'x' * (40 << 20)\n"
                         "    print('before the wait')\n"
                         "    os.write(2, b'raw, no newline')\n"
                         "    time.sleep(30)\n")
    with pytest.raises(WorkerTimeout, match="timed out after 500 ms") as caught:
        await worker.call(invoke(1), 0.5)
    assert [(level, text) for level, text, _ in caught.value.console] == [
        ("log", "before the wait"), ("error", "raw, no newline")]
    assert caught.value.memory_kb > 40 << 10
    await until_gone(worker.pid)


async def test_a_crashed_call_carries_its_console(spawn: Spawn) -> None:
    worker = await spawn("import os\n"
                         "def handler(event, context):\n"
                         "    print('last words')\n"
                         "    os._exit(3)\n")
    with pytest.raises(WorkerCrashed, match="the worker exited with code 3 during the invocation") as caught:
        await worker.call(invoke(1), 10)
    assert [text for _, text, _ in caught.value.console] == ["last words"]
    assert not worker.alive
