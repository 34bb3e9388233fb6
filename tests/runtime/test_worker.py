"""§5 one Python worker process driven directly: console edges, cancellation, out of memory."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from emulator.errors import WorkerOutOfMemory
from emulator.runtime.launch import BOOTSTRAP
from emulator.runtime.worker import Worker

from .procs import gone


class Spawn(Protocol):
    """Starts a worker for the given code; the fixture kills it after the test."""

    async def __call__(self, code: str, memory_mb: int = 128) -> Worker: ...


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawn]:
    workers: list[Worker] = []

    async def start(code: str, memory_mb: int = 128) -> Worker:
        entry = tmp_path / f"fn{len(workers)}.py"
        entry.write_text(code)
        argv = [sys.executable, str(BOOTSTRAP / "python_worker.py"), "lambda", str(entry), "handler"]
        worker = await Worker.spawn(argv, {"PATH": "/usr/bin:/bin"}, str(tmp_path), label="test",
                                    console_cap=1 << 20, memory_mb=memory_mb, now=time.time,
                                    load_timeout=10)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()


def invoke(n: int, event: Any = None) -> dict[str, Any]:
    return {"op": "invoke", "id": n, "event": event, "context": {"aws_request_id": f"r{n}"}}


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
    assert gone(worker.pid)


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
