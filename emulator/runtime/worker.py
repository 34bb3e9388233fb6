"""One worker process: spawn it, call it with a deadline, capture its console, kill it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import WorkerCrashed, WorkerError, WorkerOutOfMemory, WorkerTimeout
from .protocol import ENV_CONSOLE_CAP, ENV_FDS, ENV_MEMORY_MB, FrameReader, encode

__all__ = ["ConsoleLine", "LoadError", "Worker", "WorkerResult"]

_log = logging.getLogger("fnemu.worker")
_READ_SIZE = 65536
_WATCH_INTERVAL = 0.02
"""Seconds between two looks at a watched worker's RSS during a call; a call that ends sooner
costs no look at all (its timer is the deadline's, which it has anyway)."""
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
_HEAP_OOM = b"JavaScript heap out of memory"
"""V8's fatal message on stderr just before it aborts at --max-old-space-size."""

ConsoleLine = tuple[str, str, float]
"""(level, message, epoch seconds) of one line of a function's console output."""


class LoadError(WorkerError):
    """The function's code did not load: the runtime's message, with the line when known."""

    status = 500

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


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

    __slots__ = (
        "_console",
        "_console_bytes",
        "_console_cap",
        "_deadline",
        "_exit_status",
        "_fut",
        "_heap_oom",
        "_loop",
        "_memory_mb",
        "_now",
        "_out_tails",
        "_read_fd",
        "_reader",
        "_ready",
        "_rss_limit_kb",
        "_seen_kb",
        "_statm",
        "_timer",
        "_truncated",
        "_wbuf",
        "_write_fd",
        "_pidfd",
        "_proc",
        "_stream_fds",
        "label",
        "last_used",
        "pid",
    )
    _timer: asyncio.Handle
    """The current call's one timer (set by each call before it is read). A Handle, not a
    TimerHandle: uvloop turns a delay under a millisecond into call_soon."""

    def __init__(self, proc: subprocess.Popen[bytes], read_fd: int, write_fd: int, *,
                 label: str, console_cap: int, memory_mb: int, now: Any) -> None:
        self._loop = asyncio.get_running_loop()
        self._proc = proc
        self.pid = proc.pid
        self.label = label
        self._read_fd = read_fd
        self._write_fd = write_fd
        self._reader = FrameReader()
        self._wbuf = bytearray()
        self._fut: asyncio.Future[dict[str, Any]] | None = None
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._console: list[ConsoleLine] | None = None
        """The current (or, between calls, the last) invocation's console; None before the first."""
        self._console_bytes = 0
        self._console_cap = console_cap
        self._memory_mb = memory_mb
        self._truncated = False
        self._now = now
        self._exit_status: int | None = None
        self._deadline = 0.0
        self._rss_limit_kb = 0
        """Past this RSS the parent kills the worker mid-call (0: not watched); set by its ready frame."""
        self._statm = -1
        self._seen_kb = 0
        """The highest RSS the watchdog read during the current call."""
        self._heap_oom = False
        self.last_used = 0.0
        self._out_tails: dict[int, bytes] = {}
        assert proc.stdout is not None and proc.stderr is not None
        self._stream_fds = {proc.stdout.fileno(): "log", proc.stderr.fileno(): "error"}
        for fd in (read_fd, write_fd, *self._stream_fds):
            os.set_blocking(fd, False)
        self._loop.add_reader(read_fd, self._on_frames)
        for fd in self._stream_fds:
            self._out_tails[fd] = b""
            self._loop.add_reader(fd, self._on_stream, fd)
        self._pidfd = os.pidfd_open(proc.pid)
        self._loop.add_reader(self._pidfd, self._on_exit)

    @classmethod
    async def spawn(cls, argv: Sequence[str], env: Mapping[str, str], cwd: str, *,
                    label: str, console_cap: int, memory_mb: int, now: Any,
                    load_timeout: float) -> Worker:
        """Start a child and wait until its code is loaded; LoadError if it does not load."""
        child_read, parent_write = os.pipe()
        parent_read, child_write = os.pipe()
        child_env = dict(env)
        child_env[ENV_FDS] = f"{child_read},{child_write}"
        child_env[ENV_CONSOLE_CAP] = str(console_cap)
        child_env[ENV_MEMORY_MB] = str(memory_mb)
        try:
            proc = subprocess.Popen(
                list(argv), env=child_env, cwd=cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(child_read, child_write), start_new_session=True,
            )
        except OSError as exc:
            for fd in (child_read, parent_write, parent_read, child_write):
                os.close(fd)
            raise LoadError(f"could not start {argv[0]}: {exc.strerror}") from None
        os.close(child_read)
        os.close(child_write)
        worker = cls(proc, parent_read, parent_write, label=label, console_cap=console_cap,
                     memory_mb=memory_mb, now=now)
        try:
            await asyncio.wait_for(asyncio.shield(worker._ready), load_timeout)
        except TimeoutError:
            worker.kill()
            raise LoadError(f"timed out after {load_timeout * 1000:.0f} ms while loading the code") from None
        except BaseException:
            worker.kill()
            raise
        return worker

    @property
    def alive(self) -> bool:
        return self._exit_status is None and self._proc.returncode is None

    async def call(self, message: dict[str, Any], timeout: float) -> WorkerResult:
        """Send one invocation and wait for its result; WorkerError if the worker fails.

        The timeout runs from here, not from the request's arrival: time spent waiting for a
        free worker is not the function's."""
        fut = self._loop.create_future()
        self._fut = fut
        self._console = []
        self._console_bytes = 0
        self._truncated = False
        message["deadline_ms"] = int((time.time() + timeout) * 1000)  # from now, as the kill timer
        self._write(encode(message))
        self._deadline = self._loop.time() + timeout
        if self._rss_limit_kb:
            self._seen_kb = 0
            self._schedule(_WATCH_INTERVAL, timeout)
        else:
            self._timer = self._loop.call_at(self._deadline, self._on_timer, timeout, True)
        try:
            reply = await fut
        except WorkerError as exc:
            exc.console = self._take_console()  # type: ignore[attr-defined]
            raise
        except asyncio.CancelledError:
            self.kill()  # its caller is gone mid-call: it must not serve the next one
            raise
        else:
            if reply.get("truncated"):
                self._truncated = True
            console = self._take_console()  # while _fut is set: late raw output is still this call's
        finally:
            self._timer.cancel()
            self._fut = None
        memory_kb = reply.get("memory_kb", 0)
        if reply["op"] == "result":
            return WorkerResult(reply.get("value"), memory_kb=memory_kb, console=console)
        if reply.get("oom"):
            self.kill()  # it exits after an out-of-memory error: never hand it to the next caller
            oom = self._out_of_memory(reply.get("message"))
            oom.console = console  # type: ignore[attr-defined]
            oom.memory_kb = memory_kb  # type: ignore[attr-defined]
            raise oom
        return WorkerResult(error=reply.get("message") or "error", traceback=reply.get("traceback"),
                            memory_kb=memory_kb, console=console)

    def kill(self) -> None:
        """SIGKILL the worker's whole process group (it may have started children) and reap it."""
        if self._proc.returncode is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - a kernel that ignores SIGKILL
                _log.warning("worker %s did not die", self.pid)
        self._drain_streams()
        self._close()

    def _take_console(self) -> list[ConsoleLine]:
        """This invocation's console, raw output up to a final line without newline included.

        No read here: the child writes raw output before its result frame, so the stream readers
        run no later than the frame reader, before the awaiting call resumes. Raw output beyond
        one read lands in the same list (the log entry's) moments later."""
        for fd, tail in self._out_tails.items():
            if tail:
                self._out_tails[fd] = b""
                self._add_console(self._stream_fds[fd], tail.decode(errors="replace"))
        console = self._console if self._console is not None else []
        if self._truncated:
            console.append(("warn", f"[fnemu] console output truncated at {self._console_cap} bytes",
                            self._now()))
        return console

    def _write(self, data: bytes) -> None:
        if self._wbuf:
            self._wbuf += data
            return
        try:
            n = os.write(self._write_fd, data)
        except BlockingIOError:
            n = 0
        except (BrokenPipeError, OSError):
            return  # the exit handler reports the death
        if n < len(data):
            self._wbuf += data[n:]
            self._loop.add_writer(self._write_fd, self._flush)

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
            data = os.read(self._read_fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._loop.remove_reader(self._read_fd)
            return
        self._feed_frames(data)

    def _feed_frames(self, data: bytes) -> None:
        for message in self._reader.feed(data):
            op = message.get("op")
            if op == "log":
                self._add_console(message.get("level", "log"), message.get("message", ""))
            elif op in ("result", "error"):
                if self._fut is not None and not self._fut.done():
                    self._fut.set_result(message)
            elif op == "ready":
                if not self._ready.done():
                    self._watch_rss(message.get("rss_limit_kb"))
                    self._ready.set_result(None)
            elif op == "load_error" and not self._ready.done():
                self._ready.set_exception(LoadError(message.get("message", "load failed"),
                                                    message.get("line")))

    def _add_console(self, level: str, text: str) -> None:
        if self._console is None:
            if text:
                _log.info("[%s] %s", self.label, text)
            return
        if self._truncated:
            return
        room = self._console_cap - self._console_bytes
        if len(text) > room:
            self._truncated = True
            text = text[:room]
            if not text:
                return
        self._console_bytes += len(text)
        self._console.append((level, text, self._now()))

    def _on_stream(self, fd: int) -> None:
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self._feed_stream(fd, data)

    def _feed_stream(self, fd: int, data: bytes) -> None:
        """Raw stdout/stderr (output that bypassed the console patch), split into lines.

        Past the cap the rest of the invocation's output is dropped unread, and a partial line
        never grows beyond the cap: a flood without newlines costs linear time and bounded memory.
        """
        level = self._stream_fds[fd]
        if level == "error" and _HEAP_OOM in data:
            self._heap_oom = True
        if not data:
            self._loop.remove_reader(fd)
            tail = self._out_tails.pop(fd, b"")
            if tail:
                self._add_console(level, tail.decode(errors="replace"))
            return
        if self._truncated and self._fut is not None:
            return
        *lines, tail = (self._out_tails[fd] + data).split(b"\n")
        if len(tail) > self._console_cap:
            lines.append(tail)
            tail = b""
        self._out_tails[fd] = tail
        for line in lines:
            self._add_console(level, line.decode(errors="replace"))

    def _drain_streams(self) -> None:
        for fd in list(self._out_tails):
            while fd in self._out_tails:
                try:
                    data = os.read(fd, _READ_SIZE)
                except OSError:
                    break
                self._feed_stream(fd, data)
                if not data:
                    break

    def _on_exit(self) -> None:
        """The worker ended by itself: its leftover processes go with it (its process group is
        still reserved while it is unreaped), and a pending call learns why."""
        self._loop.remove_reader(self._pidfd)
        try:
            os.killpg(self._proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._drain_frames()
        try:
            pid, status = os.waitpid(self._proc.pid, os.WNOHANG)
            if pid:
                self._proc.returncode = os.waitstatus_to_exitcode(status)
            else:
                self._proc.wait()
        except ChildProcessError:
            self._proc.wait()
        code = self._proc.returncode
        self._exit_status = code if code is not None else -1
        reason = _describe_exit(code)
        self._drain_streams()  # before the verdict: stderr may say it ran out of heap
        if not self._ready.done():
            self._ready.set_exception(LoadError(f"the worker {reason} while loading the code"))
        if self._fut is not None and not self._fut.done():
            if self._heap_oom:
                exc: WorkerError = self._out_of_memory("JavaScript heap out of memory")
                exc.memory_kb = self._seen_kb  # type: ignore[attr-defined]  # the zombie has no VmHWM
            else:
                exc = WorkerCrashed(f"the worker {reason} during the invocation")
            self._fut.set_exception(exc)
        self._close()

    def _drain_frames(self) -> None:
        while self._read_fd >= 0:
            try:
                data = os.read(self._read_fd, _READ_SIZE)
            except OSError:
                return
            if not data:
                return
            self._feed_frames(data)

    def _watch_rss(self, limit_kb: int | None) -> None:
        """A worker whose runtime cannot bound its own memory (Node: no RLIMIT_AS) names the RSS
        it must stay under; its calls are then watched from here, as a synchronous loop of
        allocations never lets the child look."""
        if not limit_kb:
            return
        try:
            self._statm = os.open(f"/proc/{self.pid}/statm", os.O_RDONLY)
        except OSError:
            return
        self._rss_limit_kb = limit_kb

    def _schedule(self, delay: float, timeout: float) -> None:
        """The call's next tick: a look at the RSS in `delay` seconds, or the deadline if sooner."""
        when = self._loop.time() + delay
        at_deadline = when >= self._deadline
        self._timer = self._loop.call_at(self._deadline if at_deadline else when, self._on_timer,
                                         timeout, at_deadline)

    def _on_timer(self, timeout: float, at_deadline: bool) -> None:
        """The call's one timer: at the deadline it times out; before it (a watched worker) it
        reads the RSS, kills past the limit, and looks again a little later."""
        fut = self._fut
        if fut is None or fut.done():
            return
        if at_deadline:
            self._fail(fut, WorkerTimeout(f"timed out after {timeout * 1000:.0f} ms"))
            return
        rss_kb = self._rss_kb()
        self._seen_kb = max(self._seen_kb, rss_kb)
        if rss_kb > self._rss_limit_kb:
            base_kb = self._rss_limit_kb - self._memory_mb * 1024
            self._fail(fut, self._out_of_memory(
                f"the function used {round((rss_kb - base_kb) / 1024)} MB (RSS {round(rss_kb / 1024)} MB)"))
            return
        self._schedule(_WATCH_INTERVAL, timeout)

    def _fail(self, fut: asyncio.Future[dict[str, Any]], exc: WorkerError) -> None:
        """Kill the worker mid-call; the call gets `exc`, with the invocation's peak RSS."""
        exc.memory_kb = self._peak_kb()  # type: ignore[attr-defined]
        self.kill()
        fut.set_exception(exc)

    def _out_of_memory(self, detail: str | None) -> WorkerOutOfMemory:
        return WorkerOutOfMemory(f"memory limit exceeded ({self._memory_mb} MB): {detail}")

    def _rss_kb(self) -> int:
        try:
            return int(os.pread(self._statm, 64, 0).split()[1]) * _PAGE_KB
        except (OSError, IndexError, ValueError):
            return 0

    def _peak_kb(self) -> int:
        """VmHWM, the peak RSS since this invocation reset it: read only when a worker is killed
        mid-call, as the child cannot report it any more."""
        try:
            with open(f"/proc/{self.pid}/status", "rb") as f:
                status = f.read()
        except OSError:
            return 0
        start = status.find(b"VmHWM:")
        return int(status[start + 6 : status.find(b"kB", start)]) if start >= 0 else 0

    def _close(self) -> None:
        if self._pidfd < 0:
            return
        for fd in (self._read_fd, self._write_fd, self._pidfd, *self._stream_fds):
            try:
                self._loop.remove_reader(fd)
                self._loop.remove_writer(fd)
            except (ValueError, OSError):
                pass
        for fd in (self._read_fd, self._write_fd, self._pidfd, self._statm):
            try:
                if fd >= 0:
                    os.close(fd)
            except OSError:
                pass
        self._read_fd = self._write_fd = self._pidfd = self._statm = -1
        self._out_tails.clear()
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._proc.stdout.close()
        self._proc.stderr.close()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "stopped"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"
