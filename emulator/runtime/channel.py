"""One worker's frame pipes: each frame in goes to the pending call, the console or the ready signal."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from ..errors import LoadError
from .console import Console
from .process import READ_SIZE
from .protocol import FrameReader, encode

__all__ = ["Channel"]


class Channel:
    """Frames out are written whole or queued until the pipe drains; frames in are dispatched as
    they are read: `log` and `late` to the console, `result`/`error` to `pending`, `ready`/`load_error` to
    `ready` (its value is the RSS limit the worker names, if any)."""

    __slots__ = ("_console", "_loop", "_read_fd", "_reader", "_wbuf", "_write_fd", "pending", "ready")

    def __init__(self, read_fd: int, write_fd: int, console: Console) -> None:
        self._loop = asyncio.get_running_loop()
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._console = console
        self._reader = FrameReader()
        self._wbuf = bytearray()
        self.pending: asyncio.Future[dict[str, Any]] | None = None
        """The current call's reply, set by the caller for the call's duration."""
        self.ready: asyncio.Future[int | None] = self._loop.create_future()
        for fd in (read_fd, write_fd):
            os.set_blocking(fd, False)
        self._loop.add_reader(read_fd, self._on_frames)

    def send(self, message: dict[str, Any]) -> None:
        data = encode(message)
        if self._wbuf:
            self._wbuf += data
            return
        try:
            n = os.write(self._write_fd, data)
        except BlockingIOError:
            n = 0
        except OSError:
            return  # the worker is gone: its exit is reported on its own
        if n < len(data):
            self._wbuf += data[n:]
            self._loop.add_writer(self._write_fd, self._flush)

    def drain(self) -> None:
        """Dispatch every frame still in the pipe (the worker has exited)."""
        while self._read_fd >= 0:
            try:
                data = os.read(self._read_fd, READ_SIZE)
            except OSError:
                return
            if not data:
                return
            self._dispatch(data)

    def close(self) -> None:
        if self._read_fd < 0:
            return
        self._loop.remove_reader(self._read_fd)
        self._loop.remove_writer(self._write_fd)
        os.close(self._read_fd)
        os.close(self._write_fd)
        self._read_fd = self._write_fd = -1

    def _flush(self) -> None:
        try:
            n = os.write(self._write_fd, self._wbuf)
        except BlockingIOError:
            return
        except OSError:
            n = len(self._wbuf)
        del self._wbuf[:n]
        if not self._wbuf:
            self._loop.remove_writer(self._write_fd)

    def _on_frames(self) -> None:
        try:
            data = os.read(self._read_fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._loop.remove_reader(self._read_fd)
            return
        self._dispatch(data)

    def _dispatch(self, data: bytes) -> None:
        for message in self._reader.feed(data):
            op = message.get("op")
            if op == "log":
                self._console.add(message.get("level", "log"), message.get("message", ""))
            elif op == "late":
                self._console.late(message, attach=self.pending is None or self.pending.done())
            elif op in ("result", "error"):
                fut = self.pending
                if fut is not None and not fut.done():
                    fut.set_result(message)
            elif op == "ready":
                if not self.ready.done():
                    self.ready.set_result(message.get("rss_limit_kb"))
            elif op == "load_error" and not self.ready.done():
                self.ready.set_exception(LoadError(message.get("message", "load failed"), message.get("line")))
