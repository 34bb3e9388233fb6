"""Workers started directly from a bootstrap (no emulator around them), and `fnemu start` as a
subprocess, for the runtime's own tests."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.config import DEFAULT_TOKEN
from emulator.runtime.interpreters import BOOTSTRAP
from emulator.runtime.process import Process
from emulator.runtime.worker import Worker

from .workers import Spawn


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Spawn]:
    workers: list[Worker] = []

    async def start(code: str, language: str = "python", memory_mb: int = 128,
                    node_flags: Sequence[str] = (), style: str = "lambda") -> Worker:
        load: dict[str, Any]
        if language == "python":
            entry = tmp_path / f"fn{len(workers)}.py"
            argv = [sys.executable, str(BOOTSTRAP / "python_worker.py"), style]
            load = {"entry": str(entry), "handlers": ["handler" if style == "lambda" else "main"]}
        else:
            entry = tmp_path / f"fn{len(workers)}.mjs"
            node = shutil.which("node")
            assert node is not None
            argv = [node, *node_flags, str(BOOTSTRAP / "node_worker.mjs"), style]
            load = {"entry": str(entry), "env_names": []}
        entry.write_text(code)
        env, cwd = {"PATH": "/usr/bin:/bin"}, str(tmp_path)
        worker = await Worker.start(Process.spawn(argv, env, cwd), load, env, cwd, label="test",
                                    console_cap=1 << 20, memory_mb=memory_mb, now=time.time, load_timeout=10)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()


@pytest.fixture
def fnemu_process(request: pytest.FixtureRequest) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """`fnemu start` as a subprocess (what users run), and a client on it with the developer token.
    Parametrized indirectly with a dict, those variables are added to its environment."""
    env = {**os.environ, **getattr(request, "param", {})}
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = re.search(r"http://[\d.:]+", proc.stdout.readline())
        assert url, "no URL on the first stdout line"
        with httpx.Client(base_url=url.group(0), headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
                          timeout=30) as client:
            yield proc, client
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
