"""Capture of one worker's console output, capped per invocation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..errors import ConsoleLine

__all__ = ["Console"]

_log = logging.getLogger("fnemu.worker")
_LEVELS = {"stdout": "log", "stderr": "error"}
"""The console level of a raw output stream's lines."""


class Console:
    """Lines from log frames and from raw stdout/stderr, in arrival order, up to `cap` characters
    per invocation; past the cap the rest is dropped and `take` ends the lines with a mark.

    No I/O here: the frame reader calls `add`, the output pipes' reader calls `feed`. Output outside
    any invocation (while the code loads) goes to the emulator's log instead.
    """

    __slots__ = ("_cap", "_label", "_lines", "_now", "_size", "_tails", "_truncated")

    def __init__(self, cap: int, label: str, now: Callable[[], float]) -> None:
        self._cap = cap
        self._label = label
        self._now = now
        self._lines: list[ConsoleLine] | None = None
        """The current (or, between calls, the last) invocation's lines; None before the first."""
        self._size = 0
        self._truncated = False
        self._tails: dict[str, bytes] = {}
        """Per raw stream, its last line so far (no newline yet)."""

    def begin(self) -> None:
        """A new invocation: its own lines, its own cap."""
        self._lines = []
        self._size = 0
        self._truncated = False

    def add(self, level: str, text: str) -> None:
        lines = self._lines
        if lines is None:
            if text:
                _log.info("[%s] %s", self._label, text)
            return
        if self._truncated:
            return
        room = self._cap - self._size
        if len(text) > room:
            self._truncated = True
            text = text[:room]
            if not text:
                return
        self._size += len(text)
        lines.append((level, text, self._now()))

    def late(self, report: dict[str, Any], *, attach: bool) -> None:
        """An error the function's code raised after its invocation had answered: one line on
        stderr naming the function and the invocation, and (`attach`: no other invocation has
        begun since) a console line of that invocation's log entry."""
        text = (f"{report.get('message', 'error')}: {report.get('kind', 'an error')} after invocation "
                f"{report.get('request_id', '?')} had answered (its answer stands; the worker goes on)")
        _log.warning("%s: %s", self._label, text)
        if attach and self._lines is not None:
            traceback = report.get("traceback")
            self._lines.append(("error", f"{text}\n{traceback}" if traceback else text, self._now()))

    def feed(self, stream: str, data: bytes) -> None:
        """Raw output (what bypassed the console patch), split into lines; b"" ends the stream.

        Past the cap the rest is dropped unsplit, and a partial line never grows beyond the cap:
        a flood without newlines costs linear time and bounded memory.
        """
        level = _LEVELS[stream]
        if not data:
            tail = self._tails.pop(stream, b"")
            if tail:
                self.add(level, tail.decode(errors="replace"))
            return
        if self._truncated:
            return
        *lines, tail = (self._tails.get(stream, b"") + data).split(b"\n")
        if len(tail) > self._cap:
            lines.append(tail)
            tail = b""
        self._tails[stream] = tail
        for line in lines:
            self.add(level, line.decode(errors="replace"))

    def take(self, truncated: bool = False) -> list[ConsoleLine]:
        """The invocation's lines, with a final line without newline; `truncated`: the child
        dropped output itself.

        The list stays this invocation's: raw output that arrives after (beyond one read) is
        appended to it, which is the log entry's.
        """
        for stream, tail in self._tails.items():
            if tail:
                self._tails[stream] = b""
                self.add(_LEVELS[stream], tail.decode(errors="replace"))
        lines = self._lines if self._lines is not None else []
        if self._truncated or truncated:
            self._truncated = True
            lines.append(("warn", f"[fnemu] console output truncated at {self._cap} bytes", self._now()))
        return lines
