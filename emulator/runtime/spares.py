"""Spare worker processes, started ahead of need: a worker start is then a load, not a spawn.

A spare runs a bootstrap whose command names no function (interpreters.py), in the blank
environment (`platform_env.blank_env`) and the root folder; it has imported what its style needs
(the Node `web` style: undici's `Request`/`Response`, warmed) and waits for its load frame, which
gives it a function's environment, folder and limits (protocol.py). Nothing of one function can
reach another: a spare serves one function, once, and is never returned.

There is one spare per command in use: in the usual case one per language (Node's command also
names the style and the heap size, which V8 fixes at start). The first is started after the first
worker of its command, and each is replaced after use, once the worker that took it has loaded
and served its caller (the deploy or call that started it), so the replacement competes with
neither. A command no live function uses keeps its spare for the idle-worker time (a test suite's
reset and redeploy find it still there), then the spare stops.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from ..errors import LoadError
from .platform_env import blank_env
from .process import Child, Process

__all__ = ["Command", "Spares"]

_log = logging.getLogger("fnemu.runtime")

Command = tuple[str, ...]
"""A bootstrap's command line: what a spare is started with, and what it can serve."""

_CWD = "/"
"""A spare's folder until it is told its function's."""


class Spares:
    """One runtime's spares, one per command in use."""

    __slots__ = ("_closed", "_expiry", "_keep_seconds", "_spares", "_users")

    def __init__(self, keep_seconds: float) -> None:
        self._keep_seconds = keep_seconds
        self._spares: dict[Command, Child] = {}
        self._users: dict[Command, int] = {}
        """Live function versions per command."""
        self._expiry: dict[Command, asyncio.TimerHandle] = {}
        self._closed = False

    def use(self, command: Command) -> None:
        """A function version that starts its workers with `command` is live."""
        self._users[command] = self._users.get(command, 0) + 1
        timer = self._expiry.pop(command, None)
        if timer is not None:
            timer.cancel()

    def unuse(self, command: Command) -> None:
        """That version is retired; with no live one left, the spare stops after the idle time."""
        users = self._users[command] - 1
        if users:
            self._users[command] = users
            return
        del self._users[command]
        loop = asyncio.get_running_loop()
        self._expiry[command] = loop.call_later(self._keep_seconds, self._expire, command)

    def take(self, command: Command) -> Child | None:
        """The spare for `command` (maybe still warming up: it reads its load frame once ready),
        now the caller's; None if there is none. `refill` starts the next."""
        child = self._spares.pop(command, None)
        if child is not None and not child.process.alive:
            child.discard()
            return None
        return child

    def refill(self, command: Command) -> None:
        """Start a spare for `command` if it has none and a live version uses it."""
        if self._closed or command in self._spares or command not in self._users:
            return
        try:
            child = Process.spawn(command, blank_env(), _CWD)
        except LoadError as exc:
            _log.warning("no spare worker: %s", exc.message)
            return
        self._spares[command] = child
        child.process.watch(self._output, lambda reason: self._exited(command, child, reason))

    def close(self) -> None:
        """Shutdown: every spare is killed (its whole process group), none is started again."""
        self._closed = True
        for timer in self._expiry.values():
            timer.cancel()
        self._expiry.clear()
        spares, self._spares = self._spares, {}
        for child in spares.values():
            child.discard()

    def _expire(self, command: Command) -> None:
        del self._expiry[command]
        child = self._spares.pop(command, None)
        if child is not None:
            child.discard()

    def _exited(self, command: Command, child: Child, reason: str) -> None:
        """A spare ended by itself before use: the next worker of its command is spawned."""
        if self._spares.get(command) is child:
            del self._spares[command]
            child.discard()
            _log.warning("a spare worker (%s) %s before use", " ".join(Path(a).name for a in command[-2:]), reason)

    @staticmethod
    def _output(stream: str, data: bytes) -> None:
        """What a spare writes before it has a function is its runtime's own (a warning at start)."""
        if data:
            _log.debug("spare worker %s: %s", stream, data.decode(errors="replace").rstrip())
