"""One worker serving calls with a deadline, made of a process, its frame pipes, a console, a memory watch."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConsoleLine, LoadError, WorkerCrashed, WorkerError, WorkerTimeout
from .channel import Channel
from .console import Console
from .debugger import HOLD_RECHECK, DebugSession
from .memory import WATCH_INTERVAL, MemoryWatch
from .process import Child, Process

__all__ = ["Worker", "WorkerResult"]


@dataclass(slots=True)
class WorkerResult:
    """What one call produced; `value` is the handler's return value (JSON)."""

    value: Any = None
    error: str | None = None
    traceback: str | None = None
    memory_kb: int = 0
    console: list[ConsoleLine] = field(default_factory=list)


class Worker:
    """A child process serving one function revision, one invocation at a time."""

    __slots__ = ("_channel", "_console", "_deadline", "_loop", "_memory", "_process", "_timer", "debug",
                 "label", "last_used", "pid")
    _timer: asyncio.Handle
    """The current call's one timer (set by each call before it is read). A Handle, not a
    TimerHandle: uvloop turns a delay under a millisecond into call_soon."""

    def __init__(self, process: Process, read_fd: int, write_fd: int, *, label: str, console_cap: int,
                 memory_mb: int, now: Callable[[], float]) -> None:
        self._loop = asyncio.get_running_loop()
        self._process = process
        self.pid = process.pid
        self.label = label
        self._console = Console(console_cap, label, now)
        self._channel = Channel(read_fd, write_fd, self._console)
        self._memory = MemoryWatch(process.pid, memory_mb)
        self._deadline = 0.0
        self.last_used = 0.0
        self.debug: DebugSession | None = None
        """Set for a worker under a debugger: its timeout is paused while the debugger holds it."""
        process.watch(self._on_output, self._on_exit)

    @classmethod
    async def start(cls, child: Child, load: Mapping[str, Any], env: Mapping[str, str], cwd: str, *, label: str,
                    console_cap: int, memory_mb: int, now: Callable[[], float], load_timeout: float,
                    debug: DebugSession | None = None) -> Worker:
        """Tell `child` (just spawned, or a spare started ahead of need) its function in the load
        frame (protocol.py: `load`, the style's part; the whole `env`, `cwd` and the limits), then
        wait until its code is loaded. LoadError if it does not load."""
        worker = cls(child.process, child.read_fd, child.write_fd, label=label, console_cap=console_cap,
                     memory_mb=memory_mb, now=now)
        worker.debug = debug
        worker._channel.send({"op": "load", **load, "env": dict(env), "cwd": cwd, "console_cap": console_cap,
                              "memory_mb": memory_mb})
        try:
            async with asyncio.timeout(load_timeout):
                rss_limit_kb = await worker._channel.ready
        except TimeoutError:
            worker.kill()
            raise LoadError(f"timed out after {load_timeout * 1000:.0f} ms while loading the code") from None
        except BaseException:
            worker.kill()
            raise
        worker._memory.arm(rss_limit_kb)
        return worker

    @property
    def alive(self) -> bool:
        return self._process.alive

    async def call(self, message: dict[str, Any], timeout: float) -> WorkerResult:
        """Send one invocation and wait for its result; WorkerError if the worker fails.

        The timeout runs from here, not from the request's arrival: time spent waiting for a
        free worker is not the function's."""
        channel = self._channel
        fut = self._loop.create_future()
        channel.pending = fut
        self._console.begin()
        message["deadline_ms"] = int((time.time() + timeout) * 1000)  # from now, as the kill timer
        channel.send(message)
        self._deadline = self._loop.time() + timeout
        if self._memory.limit_kb:
            self._memory.seen_kb = 0
            self._schedule(WATCH_INTERVAL, timeout)
        else:
            self._timer = self._loop.call_at(self._deadline, self._on_timer, timeout, True)
        try:
            reply: dict[str, Any] = await fut
        except WorkerError as exc:
            exc.console = self._console.take()
            raise
        except asyncio.CancelledError:
            self.kill()  # its caller is gone mid-call: it must not serve the next one
            raise
        else:
            # While `pending` is set: late raw output is still this call's. No read here: the child
            # writes raw output before its result frame, so the output readers run no later than
            # the frame reader, before this call resumes.
            console = self._console.take(bool(reply.get("truncated")))
        finally:
            self._timer.cancel()
            channel.pending = None
        memory_kb: int = reply.get("memory_kb", 0)
        if reply["op"] == "result":
            return WorkerResult(reply.get("value"), memory_kb=memory_kb, console=console)
        if reply.get("oom"):
            self.kill()  # it exits after an out-of-memory error: never hand it to the next caller
            raise self._memory.out_of_memory(reply.get("message"), memory_kb=memory_kb, console=console)
        return WorkerResult(error=reply.get("message") or "error", traceback=reply.get("traceback"),
                            memory_kb=memory_kb, console=console)

    def kill(self, reason: str = "the worker was stopped during the invocation") -> None:
        """SIGKILL the worker's whole process group (reaped once gone); a call still waiting for
        its reply fails with WorkerCrashed(`reason`)."""
        self._process.kill()
        fut = self._channel.pending
        if fut is not None and not fut.done():
            fut.set_exception(WorkerCrashed(reason))
        self._close()

    def _on_output(self, stream: str, data: bytes) -> None:
        if stream == "stderr":
            self._memory.scan_stderr(data)
            if self.debug is not None and data:
                data = self.debug.take_own_lines(data)
                if not data:
                    return
        self._console.feed(stream, data)

    def _on_exit(self, reason: str) -> None:
        """The worker ended by itself (reaped, its output read): a pending call learns why."""
        channel = self._channel
        channel.drain()
        if not channel.ready.done():
            channel.ready.set_exception(LoadError(f"the worker {reason} while loading the code"))
        fut = channel.pending
        if fut is not None and not fut.done():
            memory = self._memory
            if memory.heap_oom:  # the zombie has no VmHWM: the watchdog's highest look stands in
                exc: WorkerError = memory.out_of_memory("JavaScript heap out of memory", memory_kb=memory.seen_kb)
            else:
                exc = WorkerCrashed(f"the worker {reason} during the invocation")
            fut.set_exception(exc)
        self._close()

    def _schedule(self, delay: float, timeout: float) -> None:
        """The call's next tick: a look at the RSS in `delay` seconds, or the deadline if sooner."""
        when = self._loop.time() + delay
        at_deadline = when >= self._deadline
        self._timer = self._loop.call_at(self._deadline if at_deadline else when, self._on_timer,
                                         timeout, at_deadline)

    def _on_timer(self, timeout: float, at_deadline: bool) -> None:
        """The call's one timer: at the deadline it times out; before it (a watched worker) it
        looks at the RSS, kills past the limit, and looks again a little later. A killed call's
        error carries the invocation's peak RSS, read before the kill."""
        fut = self._channel.pending
        if fut is None or fut.done():
            return
        memory = self._memory
        if at_deadline:
            if self.debug is not None and self.debug.holds(fut, self._console, timeout):
                self._timer = self._loop.call_later(HOLD_RECHECK, self._on_timer, timeout, True)
                return
            exc: WorkerError = WorkerTimeout(f"timed out after {timeout * 1000:.0f} ms", memory_kb=memory.peak_kb())
        else:
            detail = memory.check()
            if detail is None:
                self._schedule(WATCH_INTERVAL, timeout)
                return
            exc = memory.out_of_memory(detail, memory_kb=memory.peak_kb())
        fut.set_exception(exc)
        self.kill()

    def _close(self) -> None:
        self._process.close()
        self._channel.close()
        self._memory.close()
