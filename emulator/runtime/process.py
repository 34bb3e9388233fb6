"""A worker's child process, from spawn to reaping."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from ..errors import LoadError
from .protocol import ENV_FDS

__all__ = ["READ_SIZE", "Child", "Process"]

READ_SIZE = 65536
"""Bytes per read from a worker's pipes."""

OutputSink = Callable[[str, bytes], None]
"""Gets raw output as it comes: ("stdout" | "stderr", bytes); b"" when that stream ends."""
ExitSink = Callable[[str], None]
"""Gets, once, how the child ended ("exited with code 1"), after it is reaped."""


class Child(NamedTuple):
    """A started child and the parent's ends of its frame pipes."""

    process: Process
    read_fd: int
    write_fd: int

    def discard(self) -> None:
        """Kill it and close everything (a child no worker was made of)."""
        self.process.kill()
        self.process.close()
        os.close(self.read_fd)
        os.close(self.write_fd)


class Process:
    """The child in its own process group, its stdout and stderr, and a pidfd that says when it
    exits; the parent ends of the frame pipes belong to the caller of `spawn`."""

    __slots__ = ("_killed", "_loop", "_on_exit", "_on_output", "_pidfd", "_popen", "_streams", "pid")

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self._loop = asyncio.get_running_loop()
        self._popen = popen
        self.pid = popen.pid
        assert popen.stdout is not None and popen.stderr is not None
        self._streams = {popen.stdout.fileno(): "stdout", popen.stderr.fileno(): "stderr"}
        """The output pipes not yet at their end."""
        self._pidfd = os.pidfd_open(popen.pid)
        self._on_output: OutputSink | None = None
        self._on_exit: ExitSink | None = None
        self._killed = False

    @classmethod
    def spawn(cls, argv: Sequence[str], env: Mapping[str, str], cwd: str) -> Child:
        """Start the child with two frame pipes (their numbers in its environment); returns it
        with the parent's ends (read, write). LoadError if it cannot start."""
        child_read, parent_write = os.pipe()
        parent_read, child_write = os.pipe()
        child_env = dict(env)
        child_env[ENV_FDS] = f"{child_read},{child_write}"
        try:
            popen = subprocess.Popen(
                list(argv), env=child_env, cwd=cwd, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(child_read, child_write), start_new_session=True,
            )
        except OSError as exc:
            for fd in (parent_read, parent_write):
                os.close(fd)
            raise LoadError(f"could not start {argv[0]}: {exc.strerror}") from None
        finally:
            os.close(child_read)
            os.close(child_write)
        return Child(cls(popen), parent_read, parent_write)

    def watch(self, on_output: OutputSink, on_exit: ExitSink) -> None:
        """Read the output pipes and watch for the exit, telling these sinks from now on (a spare's
        are replaced when it is taken)."""
        watching = self._on_exit is not None
        self._on_output = on_output
        self._on_exit = on_exit
        if watching:
            return
        for fd in self._streams:
            os.set_blocking(fd, False)
            self._loop.add_reader(fd, self._on_stream, fd)
        self._loop.add_reader(self._pidfd, self._on_pidfd)

    @property
    def alive(self) -> bool:
        return self._popen.returncode is None and not self._killed

    def kill(self) -> None:
        """SIGKILL the whole process group (the child may have started children) and read what
        it wrote. Never waits on the loop: the kernel may take a while to tear a big process down
        (~200 ms for 1 GB), so a child not gone at once is reaped by a thread of its own."""
        if self._popen.returncode is None and not self._killed:
            self._killed = True
            self._kill_group()
            if self._popen.poll() is None:
                threading.Thread(target=self._popen.wait, name=f"fnemu-reap-{self.pid}", daemon=True).start()
        self._drain()

    def close(self) -> None:
        """Stop watching and close every descriptor; the child is reaped or being reaped."""
        if self._pidfd < 0:
            return
        self._loop.remove_reader(self._pidfd)
        for fd in self._streams:
            self._loop.remove_reader(fd)
        self._streams.clear()
        os.close(self._pidfd)
        self._pidfd = -1
        assert self._popen.stdout is not None and self._popen.stderr is not None
        self._popen.stdout.close()
        self._popen.stderr.close()

    def _kill_group(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _on_pidfd(self) -> None:
        """The child ended by itself: its leftover processes go with it (its process group is
        still reserved while it is unreaped), then the owner learns how it ended."""
        self._loop.remove_reader(self._pidfd)
        self._kill_group()
        if self._popen.poll() is None:  # the pidfd is readable: it has exited, this returns at once
            self._popen.wait()
        self._drain()  # before the owner's verdict: stderr may say why it ended
        assert self._on_exit is not None
        self._on_exit(_describe_exit(self._popen.returncode))

    def _on_stream(self, fd: int) -> None:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        self._output(fd, data)

    def _output(self, fd: int, data: bytes) -> None:
        stream = self._streams[fd]
        if not data:
            self._loop.remove_reader(fd)
            del self._streams[fd]
        assert self._on_output is not None
        self._on_output(stream, data)

    def _drain(self) -> None:
        for fd in list(self._streams):
            while fd in self._streams:
                try:
                    data = os.read(fd, READ_SIZE)
                except OSError:
                    break
                self._output(fd, data)


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
