"""The CGI runner (bootstrap/cgi_worker.py) driven directly with the emulator's frames: it loads,
answers the raw reply shape of the web, gcf and azure styles, and names a failed script's fault."""

from __future__ import annotations

import base64
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from emulator.runtime.interpreters import BOOTSTRAP
from emulator.runtime.process import Process
from emulator.runtime.worker import LoadError, Worker

from .workers import invoke

Runner = Callable[[str], Awaitable[Worker]]


@pytest.fixture
async def runner(tmp_path: Path) -> AsyncIterator[Runner]:
    workers: list[Worker] = []

    async def start(code: str) -> Worker:
        script = tmp_path / f"script{len(workers)}.py"
        script.write_text(code)
        argv = [sys.executable, str(BOOTSTRAP / "cgi_worker.py"), "python", sys.executable, str(script)]
        env, cwd = {"PATH": "/usr/bin:/bin"}, str(tmp_path)
        worker = await Worker.start(Process.spawn(argv, env, cwd), {}, env, cwd, label="test",
                                    console_cap=1 << 20, memory_mb=128, now=time.time, load_timeout=10)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.kill()


ECHO = ("import os, sys\n"
        "body = sys.stdin.buffer.read()\n"
        "sys.stdout.write('Status: 201 Created\\r\\nContent-Type: text/plain\\r\\n\\r\\n')\n"
        "sys.stdout.write(f\"{os.environ['REQUEST_METHOD']} {os.environ['PATH_INFO']} {body.decode()}\")\n")


async def test_the_reply_is_status_header_pairs_and_a_base64_body(runner: Runner) -> None:
    worker = await runner(ECHO)
    event = {"env": {"REQUEST_METHOD": "POST", "PATH_INFO": "/a/b", "SCRIPT_NAME": "/v1/local/fn/x"},
             "body": base64.b64encode(b"hi").decode()}
    result = await worker.call(invoke(1, event), 10)
    assert result.error is None
    assert result.value["status"] == 201
    assert result.value["headers"] == [["Content-Type", "text/plain"]]
    assert base64.b64decode(result.value["body"]) == b"POST /a/b hi"
    assert result.memory_kb > 0


async def test_a_failed_script_is_an_error_reply_not_a_worker_failure(runner: Runner) -> None:
    worker = await runner("import sys\nsys.exit(2)\n")
    result = await worker.call(invoke(1, {"env": {}, "body": ""}), 10)
    assert result.value == {"error": "the script exited with code 2 (its stderr is in the console)"}
    assert worker.alive  # the runner serves the next request


async def test_a_syntax_error_is_a_load_error_with_its_line(runner: Runner) -> None:
    with pytest.raises(LoadError) as caught:
        await runner("x = 1\ndef f(:\n")
    assert caught.value.message.startswith("SyntaxError: ") and caught.value.line == 2
