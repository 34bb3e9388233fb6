"""§5 frame dispatch over real pipes: each frame from a worker reaches its consumer."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from emulator.errors import LoadError
from emulator.runtime.channel import Channel
from emulator.runtime.console import Console
from emulator.runtime.protocol import FrameReader, encode


@dataclass
class Pipes:
    """A channel as the emulator holds it, and the child's ends of its pipes, held by the test."""

    channel: Channel
    console: Console
    child_read: int
    child_write: int

    def reply(self, *messages: dict[str, Any]) -> None:
        os.write(self.child_write, b"".join(encode(m) for m in messages))

    def hang_up(self) -> None:
        """The child's end closes, as when it exits."""
        os.close(self.child_write)
        self.child_write = -1


@pytest.fixture
def pipes() -> Iterator[Callable[[], Pipes]]:
    """Opens the pipes in the test's own event loop (the channel reads them there)."""
    opened: list[Pipes] = []

    def open_pipes() -> Pipes:
        child_read, parent_write = os.pipe()
        parent_read, child_write = os.pipe()
        console = Console(1 << 20, "fn", time.time)
        opened.append(Pipes(Channel(parent_read, parent_write, console), console, child_read, child_write))
        return opened[-1]

    yield open_pipes
    for p in opened:
        p.channel.close()
        for fd in (p.child_read, p.child_write):
            if fd >= 0:
                os.close(fd)


def pending(p: Pipes) -> asyncio.Future[dict[str, Any]]:
    fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
    p.channel.pending = fut
    p.console.begin()
    return fut


async def test_log_frames_go_to_the_console_and_the_result_to_the_call(pipes: Callable[[], Pipes]) -> None:
    p = pipes()
    fut = pending(p)
    p.reply({"op": "log", "id": 1, "level": "warn", "message": "careful"},
                {"op": "result", "id": 1, "value": 42, "memory_kb": 2048})
    assert await asyncio.wait_for(fut, 5) == {"op": "result", "id": 1, "value": 42, "memory_kb": 2048}
    assert [(level, text) for level, text, _ in p.console.take()] == [("warn", "careful")]


async def test_a_frame_split_across_reads_is_dispatched_once_whole(pipes: Callable[[], Pipes]) -> None:
    p = pipes()
    fut = pending(p)
    frame = encode({"op": "error", "id": 1, "message": "boom", "traceback": "t" * 100_000})
    os.write(p.child_write, frame[:7])
    await asyncio.sleep(0)
    assert not fut.done()
    await asyncio.to_thread(os.write, p.child_write, frame[7:])  # more than the pipe holds: read as it goes
    reply = await asyncio.wait_for(fut, 5)
    assert reply["message"] == "boom" and len(reply["traceback"]) == 100_000


async def test_ready_names_the_rss_limit(pipes: Callable[[], Pipes]) -> None:
    p = pipes()
    p.reply({"op": "ready", "rss_limit_kb": 123456})
    assert await asyncio.wait_for(p.channel.ready, 5) == 123456


async def test_load_error_fails_ready_with_the_message_and_line(pipes: Callable[[], Pipes]) -> None:
    p = pipes()
    p.reply({"op": "load_error", "message": "SyntaxError: invalid syntax", "line": 4})
    with pytest.raises(LoadError) as caught:
        await asyncio.wait_for(p.channel.ready, 5)
    assert (caught.value.message, caught.value.line) == ("SyntaxError: invalid syntax", 4)


async def test_a_reply_with_no_call_waiting_is_dropped(pipes: Callable[[], Pipes]) -> None:
    p = pipes()
    """A call that timed out stops waiting; its late reply must not answer the next call."""
    p.reply({"op": "result", "id": 1, "value": "late"}, {"op": "ready", "rss_limit_kb": None})
    await asyncio.wait_for(p.channel.ready, 5)  # frames are dispatched in order: the late one went first
    fut = pending(p)
    p.reply({"op": "result", "id": 2, "value": "mine"})
    assert (await asyncio.wait_for(fut, 5))["value"] == "mine"


async def test_drain_dispatches_what_is_left_in_the_pipe(pipes: Callable[[], Pipes]) -> None:
    p = pipes()
    fut = pending(p)
    p.reply({"op": "log", "id": 1, "level": "log", "message": "last words"},
                {"op": "result", "id": 1, "value": "done"})
    p.hang_up()
    p.channel.drain()  # synchronously: the loop has not run the reader yet
    assert fut.done() and fut.result()["value"] == "done"
    assert [text for _, text, _ in p.console.take()] == ["last words"]


def _read_frames(fd: int) -> Iterator[dict[str, Any]]:
    reader = FrameReader()
    while True:
        yield from reader.feed(os.read(fd, 1 << 16))


async def test_a_frame_bigger_than_the_pipe_is_queued_not_blocking(pipes: Callable[[], Pipes]) -> None:
    p = pipes()
    big = {"op": "invoke", "id": 1, "event": "x" * (4 << 20)}
    p.channel.send(big)  # returns at once: the pipe holds 64 KiB, the rest waits for the writer
    p.channel.send({"op": "invoke", "id": 2, "event": None})
    frames = _read_frames(p.child_read)
    received = await asyncio.to_thread(lambda: [next(frames), next(frames)])
    assert received == [big, {"op": "invoke", "id": 2, "event": None}]
