"""The event loop is never held up: a killed worker is reaped when it has gone, not waited for
(the kernel takes ~200 ms to free 1 GB), and the fake S3 (moto's import) starts off the loop."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from emulator.runtime.process import Process
from tests.helpers import wait_until

HOG = ("import os, pathlib, sys, time\n"
       "kept = bytearray(768 << 20)\n"
       "kept[::4096] = b'x' * len(kept[::4096])\n"  # every page touched: the kernel has them to free
       "pathlib.Path(sys.argv[1]).write_text(str(os.getpid()))\n"
       "time.sleep(60)\n")
HOARD = ("import os, pathlib, time\n"
         "def handler(event, context):\n"
         "    kept = bytearray(768 << 20)\n"
         "    kept[::4096] = b'x' * len(kept[::4096])\n"
         "    pathlib.Path(event['queryStringParameters']['mark']).write_text(str(os.getpid()))\n"
         "    time.sleep(60)\n")


def _exists(pid: int) -> bool:
    """Still in the process table: alive, dying, or a zombie nobody has reaped."""
    return os.path.exists(f"/proc/{pid}")


async def test_kill_never_waits_for_the_child_to_die_and_reaps_it_later(tmp_path: Path) -> None:
    mark = tmp_path / "pid"
    process, read_fd, write_fd = Process.spawn([sys.executable, "-c", HOG, str(mark)], {}, str(tmp_path))
    process.watch(lambda stream, data: None, lambda reason: None)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while not mark.exists():
            assert loop.time() < deadline, "the child never touched its memory"
            await asyncio.sleep(0.01)
        process.kill()
        assert not process.alive
        assert _exists(process.pid), "kill() waited for the child to be torn down"
        process.close()
        while _exists(process.pid):  # reaped by the loop once the kernel is done, no zombie left
            assert loop.time() < deadline, "the killed child was never reaped"
            await asyncio.sleep(0.01)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_a_timed_out_worker_is_answered_for_before_it_has_died(make_emulator: Any, tmp_path: Path) -> None:
    """The 504 goes out while the kernel is still freeing the worker's memory: the loop did not
    wait for it. The worker is reaped afterwards."""
    emu = make_emulator()
    emu.deploy("hoard", HOARD, timeoutMs=6000, memoryLimitMb=1024)
    mark = tmp_path / "pid"
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(emu.call, "hoard", "GET", f"?mark={mark}")
        wait_until(mark.exists, timeout=30, message="the memory to be touched")
        assert call.result().status_code == 504
    pid = int(mark.read_text())
    assert _exists(pid), "the 504 waited for the worker to be torn down"
    wait_until(lambda: not _exists(pid), message="the killed worker to be reaped")


MOTO_IMPORT_THREAD = """
import json, sys, threading
seen = set()
sys.addaudithook(lambda event, args: seen.add(threading.current_thread().name)
                 if event == "import" and args[0].split(".")[0] in ("moto", "boto3", "botocore", "werkzeug")
                 else None)
from emulator.config import Config
from emulator.pytest_plugin import Emulator, EmulatorThread

thread = EmulatorThread(Config(port=0))
emu = Emulator(thread, thread.start())
emu.deploy("up", "def handler(event, context):\\n    return {}\\n",
           triggers=[{"type": "s3_upload", "config": {"bucket": "off-the-loop"}}])
emu.reset()
emu.deploy("up", "def handler(event, context):\\n    return {}\\n",
           triggers=[{"type": "s3_upload", "config": {"bucket": "off-the-loop"}}])
emu.s3_client().put_object(Bucket="off-the-loop", Key="k", Body=b"x")
emu.reset()

async def loop_thread():
    return threading.current_thread().name

print(json.dumps({"seen": sorted(seen), "loop": thread.run(loop_thread()), "main": threading.current_thread().name}))
emu.close()
thread.stop()
"""


def test_moto_is_imported_off_the_event_loop() -> None:
    """The first s3_upload deploy starts the fake S3 (a second of imports) in a thread: the loop's
    own thread never imports moto (nor boto3 or werkzeug), not at the deploy, the upload, nor
    the resets, and the bucket exists when a client first asks for it."""
    out = subprocess.run([sys.executable, "-c", MOTO_IMPORT_THREAD], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["seen"], "moto was never imported"
    assert found["loop"] not in found["seen"], f"moto was imported on the loop's thread: {found}"
