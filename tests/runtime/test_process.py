"""§5 a worker's child process: spawn, output, exit reason, a kill that takes its whole group."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from emulator.errors import LoadError
from emulator.runtime.process import Process
from tests.helpers import wait_until

from .procs import gone


@dataclass
class Child:
    """A spawned process, what it wrote (per stream) and how it ended, as its owner sees them."""

    process: Process
    frame_fds: tuple[int, int]
    output: dict[str, bytes] = field(default_factory=lambda: {"stdout": b"", "stderr": b""})
    ended: list[str] = field(default_factory=list)
    """Streams whose end was reported."""
    exit: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def on_output(self, stream: str, data: bytes) -> None:
        if data:
            self.output[stream] += data
        else:
            self.ended.append(stream)

    def on_exit(self, reason: str) -> None:
        self.exit.set_result(reason)


@pytest.fixture
def start() -> Iterator[Callable[[str], Child]]:
    """Spawns `bash -c SCRIPT` in the test's event loop; kills and closes it after the test."""
    children: list[Child] = []

    def spawn(script: str) -> Child:
        process, read_fd, write_fd = Process.spawn(["bash", "-c", script], {"PATH": "/usr/bin:/bin"}, "/")
        child = Child(process, (read_fd, write_fd))
        process.watch(child.on_output, child.on_exit)
        children.append(child)
        return child

    yield spawn
    for child in children:
        child.process.kill()
        child.process.close()
        for fd in child.frame_fds:
            os.close(fd)


async def test_output_then_the_exit_code_after_the_streams_end(start: Callable[[str], Child]) -> None:
    child = start("echo out; echo err >&2; exit 3")
    assert await asyncio.wait_for(child.exit, 10) == "exited with code 3"
    assert child.output == {"stdout": b"out\n", "stderr": b"err\n"}
    assert sorted(child.ended) == ["stderr", "stdout"]  # reported before the exit, not after
    assert not child.process.alive


async def test_a_signal_is_named(start: Callable[[str], Child]) -> None:
    child = start("kill -TERM $$")
    assert await asyncio.wait_for(child.exit, 10) == "was killed by SIGTERM"


async def test_the_frame_pipes_reach_the_child(start: Callable[[str], Child]) -> None:
    """Their numbers are in FNEMU_WORKER_FDS: what the child writes to the second, the parent reads."""
    child = start('echo hello >&"${FNEMU_WORKER_FDS#*,}"')
    await asyncio.wait_for(child.exit, 10)
    assert os.read(child.frame_fds[0], 100) == b"hello\n"


async def test_the_childs_own_children_go_when_it_exits(start: Callable[[str], Child]) -> None:
    child = start("sleep 60 & echo $!; exit 0")
    await asyncio.wait_for(child.exit, 10)
    grandchild = int(child.output["stdout"])
    wait_until(lambda: gone(grandchild), message="the leftover sleep to be killed")


async def test_kill_takes_the_whole_group_and_reaps(start: Callable[[str], Child]) -> None:
    child = start("sleep 60 & echo $!; wait")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while not child.output["stdout"].endswith(b"\n"):
        assert loop.time() < deadline, "the child never printed its child's pid"
        await asyncio.sleep(0.01)
    grandchild = int(child.output["stdout"])
    child.process.kill()
    assert not child.process.alive
    child.process.close()  # reaped once it has gone (kill never waits: tests/reliability/test_loop.py)
    while os.path.exists(f"/proc/{child.process.pid}"):  # the loop must run to reap it
        assert loop.time() < deadline, "the killed child was never reaped"
        await asyncio.sleep(0.01)
    wait_until(lambda: gone(grandchild), message="the child's own child to be killed")
    assert not child.exit.done()  # a kill is not an exit of its own


async def test_a_program_that_cannot_start_is_a_load_error() -> None:
    fds_before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(LoadError, match=r"could not start /nonexistent/python: No such file or directory"):
        Process.spawn(["/nonexistent/python", "-c", "pass"], {}, "/")
    assert len(os.listdir("/proc/self/fd")) == fds_before
