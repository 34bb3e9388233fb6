"""Process checks the runtime tests share (Linux /proc)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from emulator.runtime.interpreters import BOOTSTRAP

_BOOTSTRAP = os.fsencode(BOOTSTRAP)


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name; None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def gone(pid: int) -> bool:
    """Whether the process has exited; a zombie counts (here init may never reap it)."""
    stat = _stat(pid)
    return stat is None or stat[0] == "Z"


def descendants(pid: int) -> set[int]:
    """Every living process below `pid`: its children, theirs, and so on."""
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[0] != "Z":
                parents[int(name)] = int(stat[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def folder(pid: int) -> Path | None:
    """The process's working directory: a worker's is its function version's code folder (a spare's
    is `/` until it is given a function); None if it is gone."""
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return None


def spares(pids: set[int]) -> set[int]:
    """Those of `pids` that are spares: a bootstrap started ahead of need, not yet given a function
    (its folder is `/`; a child not yet past its exec is not counted)."""
    return {pid for pid in pids if folder(pid) == Path("/") and _BOOTSTRAP in cmdline(pid)}


def cmdline(pid: int) -> bytes:
    """The process's command line, NUL-separated."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read()
    except OSError:
        return b""


def environ(pid: int) -> dict[str, str]:
    """The environment the process was started with."""
    with open(f"/proc/{pid}/environ", "rb") as f:
        entries = f.read().split(b"\0")
    return dict(os.fsdecode(e).partition("=")[::2] for e in entries if e)


async def until_gone(pid: int, timeout: float = 10.0) -> None:
    """Wait (letting the event loop run: it reaps killed workers) until the process has exited."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not gone(pid):
        assert loop.time() < deadline, f"process {pid} still running after {timeout} s"
        await asyncio.sleep(0.01)


def listening_ports(pid: int) -> set[int]:
    """The TCP ports (IPv4) the process listens on."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.readlines()[1:]]
    return {int(row[1].split(":")[1], 16) for row in rows if row[3] == "0A" and row[9] in inodes}
