"""Debug workers: a function's worker under debugpy (Python) or the Node inspector, on loopback.

A function is debugged when `fnemu start --debug NAME` names it or its config says `"debug": true`.
It then gets one worker (no scale-out), started from the function's own files when it has them
(a folder function: an IDE's breakpoints need no path mapping), listening for a debugger on
127.0.0.1 only. Its timeout is paused while a debugger holds the worker: a call past `timeoutMs` is
ended only once no debugger is attached (with `--debug-wait`, nor before one first attached), and
the call's console and the terminal say so. Other functions are not affected.

"Attached" is read from the kernel's table of TCP connections: an established connection to the
worker's debug port (debugpy's, inside the worker, or Node's inspector WebSocket), known even while
the debugger has the worker stopped at a breakpoint.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import sys
from typing import TYPE_CHECKING

from ..config import DEFAULT_HOST, Config, free_port
from ..errors import DeployError
from . import requirements
from .console import Console
from .interpreters import BOOTSTRAP
from .launch import LaunchSpec

if TYPE_CHECKING:
    from ..registry.registry import FunctionVersion

__all__ = ["HOLD_RECHECK", "DebugSession", "Debugger"]

_log = logging.getLogger("fnemu.debug")
PYTHON_PORT = 5678
"""debugpy's usual port: VS Code's Python attach configuration defaults to it."""
NODE_PORT = 9229
"""The Node inspector's default port: VS Code's Node attach configuration defaults to it."""
HOLD_RECHECK = 0.25
"""Seconds between two looks, past a call's deadline, at whether a debugger still holds it."""
ENV_PORT = "FNEMU_DEBUG_PORT"
ENV_WAIT = "FNEMU_DEBUG_WAIT"
"""What bootstrap/python_debug.py and node_worker.mjs read (and remove before user code runs)."""
_PYTHON_WORKER = str(BOOTSTRAP / "python_worker.py")
_PYTHON_LAUNCHER = str(BOOTSTRAP / "python_debug.py")
_NODE_WORKER = str(BOOTSTRAP / "node_worker.mjs")
_ESTABLISHED = "01"
_INSPECTOR_LINES = (b"Debugger listening on ", b"Debugger attached.", b"Debugger ending on ",
                    b"For help, see: https://nodejs.org/en/docs/inspector",
                    b"Waiting for the debugger to disconnect...")


class DebugSession:
    """One debug worker's listener, and whether a debugger holds that worker now."""

    __slots__ = ("_attached_once", "_noted", "label", "port", "wait")

    def __init__(self, label: str, port: int, wait: bool) -> None:
        self.label = label
        self.port = port
        self.wait = wait
        self._attached_once = False
        self._noted: object = None
        """The call whose pause was already told (once per call)."""

    def take_own_lines(self, data: bytes) -> bytes:
        """The Node inspector's own lines on the worker's stderr ("Debugger attached.") go to the
        terminal, not into an invocation's console; the rest of `data` is returned."""
        if b"Debugger " not in data and b"/docs/inspector" not in data:
            return data
        kept = []
        for line in data.splitlines(keepends=True):
            if line.startswith(_INSPECTOR_LINES):
                _log.info("debug: %s: %s", self.label, line.decode(errors="replace").rstrip())
            else:
                kept.append(line)
        return b"".join(kept)

    def holds(self, call: object, console: Console, timeout: float) -> bool:
        """Asked past `call`'s deadline: whether its timeout is paused. The first time for a call,
        the call's console and the terminal say so."""
        if _connected(self.port):
            self._attached_once = True
        elif self._attached_once or not self.wait:
            return False
        if self._noted is not call:
            self._noted = call
            text = (f"timeoutMs ({timeout * 1000:.0f} ms) reached while a debugger holds the worker: "
                    "the timeout is paused until it detaches")
            console.add("info", f"[fnemu] {text}")
            _log.info("debug: %s: %s", self.label, text)
        return True


class Debugger:
    """Which versions run under a debugger, and the port each function's worker listens on (kept
    across its workers and versions while it is free, so an IDE's configuration stays right)."""

    __slots__ = ("_config", "_latest", "_ports")

    def __init__(self, config: Config) -> None:
        self._config = config
        self._ports: dict[tuple[str, str], int] = {}
        self._latest: dict[tuple[str, str], FunctionVersion] = {}
        """Per debugged function, its newest version that loaded."""

    def wants(self, version: FunctionVersion) -> bool:
        return version.spec.debug or version.name in self._config.debug

    async def check(self, version: FunctionVersion) -> None:
        """DeployError (400, field `debug`) for a function that cannot run under a debugger."""
        spec = version.spec
        if spec.runtime == "cgi":
            raise DeployError("debug: cgi functions start a process per request and cannot run under a "
                              "debugger", "debug")
        python = self._config.python
        if spec.language == "python" and not await requirements.importable(python, "debugpy"):
            fix = "pip install 'fnemu[debug]'" if python == sys.executable else f"{python} -m pip install debugpy"
            raise DeployError(f"debug: debugging Python functions needs debugpy in {python}: {fix}", "debug")

    def replaces(self, version: FunctionVersion) -> bool:
        """An older version of this function runs under a debugger now: `version`'s debug worker
        starts once that one's has gone, to take over its port (Runtime.retire)."""
        latest = self._latest.get((version.app_id, version.name))
        return latest is not None and latest is not version

    def newest(self, version: FunctionVersion) -> bool:
        """`version` is its function's newest debugged version (not replaced or deleted since)."""
        return self._latest.get((version.app_id, version.name)) is version

    def prepared(self, version: FunctionVersion) -> None:
        self._latest[(version.app_id, version.name)] = version

    def retired(self, version: FunctionVersion) -> FunctionVersion | None:
        """`version` is replaced or deleted: the newer debugged version waiting for its port, if any."""
        key = (version.app_id, version.name)
        latest = self._latest.get(key)
        if latest is version:
            del self._latest[key]
        elif latest is not None and latest.revision > version.revision:
            return latest
        return None

    @staticmethod
    def source(version: FunctionVersion) -> FunctionVersion:
        """The version as its debug worker runs it: from the function's own files, if it has them."""
        return dataclasses.replace(version, entry=version.origin) if version.origin else version

    def start(self, version: FunctionVersion, launch: LaunchSpec) -> tuple[list[str], dict[str, str], DebugSession]:
        """A debug worker's argv and environment, on a port free now; announced on the terminal."""
        python = _PYTHON_WORKER in launch.argv
        port = self._port((version.app_id, version.name), PYTHON_PORT if python else NODE_PORT)
        wait = self._config.debug_wait
        env = dict(launch.env)
        if wait:
            env[ENV_WAIT] = "1"
        argv = list(launch.argv)
        if python:
            at = argv.index(_PYTHON_WORKER)
            argv[at : at + 1] = ["-Xfrozen_modules=off", _PYTHON_LAUNCHER]  # else pydevd warns it may miss breakpoints
            env[ENV_PORT] = str(port)
            how = f"debugpy listens on {DEFAULT_HOST}:{port}"
        else:
            argv.insert(argv.index(_NODE_WORKER), f"--inspect={DEFAULT_HOST}:{port}")
            how = (f"the Node inspector listens on {DEFAULT_HOST}:{port} "
                   f"(DevTools targets: http://{DEFAULT_HOST}:{port}/json/list)")
        _log.info("debug: %s: %s; code in %s; one worker, its timeout paused while a debugger is attached%s",
                  version.label, how, launch.cwd, "; its first call waits for the debugger" if wait else "")
        return argv, env, DebugSession(version.label, port, wait)

    async def port_freed(self, version: FunctionVersion, timeout: float = 10.0) -> None:
        """Until the function's port is free again: a replaced worker is killed at once but reaped
        later, and its successor should listen where the IDE already points."""
        port = self._ports.get((version.app_id, version.name))
        deadline = asyncio.get_running_loop().time() + timeout
        while port and not _bindable(port) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)

    def _port(self, key: tuple[str, str], default: int) -> int:
        """The function's last port if free, else the next free one from the configured first port
        (`debug_port`; 0: any)."""
        first = self._config.debug_port
        port = self._ports.get(key) or (default if first is None else first)
        others = {p for k, p in self._ports.items() if k != key}
        while port and (port in others or not _bindable(port)):
            port = port + 1 if port < 65535 else 0
        self._ports[key] = port or free_port()
        return self._ports[key]


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((DEFAULT_HOST, port))
        except OSError:
            return False
        return True


def _connected(port: int) -> bool:
    """Some client has a TCP connection established to 127.0.0.1:`port`."""
    local = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp", encoding="ascii") as table:
            next(table)
            for line in table:
                fields = line.split(None, 4)
                if fields[1] == local and fields[3] == _ESTABLISHED:
                    return True
    except OSError:
        return False
    return False
