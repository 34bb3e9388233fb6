"""Workers started directly from a bootstrap (no emulator around them), for the runtime's own tests."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from emulator.runtime.launch import BOOTSTRAP
from emulator.runtime.worker import Worker

from .workers import Spawn


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawn]:
    workers: list[Worker] = []

    async def start(code: str, language: str = "python", memory_mb: int = 128,
                    node_flags: Sequence[str] = ()) -> Worker:
        if language == "python":
            entry = tmp_path / f"fn{len(workers)}.py"
            argv = [sys.executable, str(BOOTSTRAP / "python_worker.py"), "lambda", str(entry), "handler"]
        else:
            entry = tmp_path / f"fn{len(workers)}.mjs"
            node = shutil.which("node")
            assert node is not None
            argv = [node, *node_flags, str(BOOTSTRAP / "node_worker.mjs"), "lambda", str(entry), ""]
        entry.write_text(code)
        worker = await Worker.spawn(argv, {"PATH": "/usr/bin:/bin"}, str(tmp_path), label="test",
                                    console_cap=1 << 20, memory_mb=memory_mb, now=time.time,
                                    load_timeout=10)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()
