"""What `fnemu start` prints (CONTRACT §1, §11)."""

from __future__ import annotations

import asyncio
import io
import os
import stat
from typing import TYPE_CHECKING, Any, TextIO

import click
import orjson

from .agents.approvals import Approval
from .clock import iso
from .keys import APPROVALS, LOGS, REGISTRY, TRIGGERS
from .logstore import LogEntry
from .triggers.s3_upload import S3_UPLOAD
from .urls import function_url

if TYPE_CHECKING:
    from .server import Server

__all__ = ["Terminal"]

_UNREAD_LIMIT = 1024 * 1024


def _plain(text: str, **_: Any) -> str:
    return text


class Terminal:
    """The ready line first (scripts wait for it), the function table, then one line per folder
    event and per invocation, with its console output indented beneath. Coloured by outcome on
    a terminal; plain text otherwise; one JSON object per line with `json_lines`."""

    def __init__(self, out: TextIO, *, json_lines: bool, colour: bool, hold: bool = True) -> None:
        """`hold`: keep folder events until `ready`, so the ready line is the first line."""
        self.out = out
        self.json_lines = json_lines
        self._style = click.style if colour else _plain
        self._held: list[tuple[str, str, str]] | None = [] if hold else None
        self._transport: asyncio.WriteTransport | None = None
        self._dropped = 0
        self._pending: list[str] = []

    def report(self, kind: str, name: str, message: str) -> None:
        if self._held is not None:
            self._held.append((kind, name, message))
            return
        if self.json_lines:
            self._write(orjson.dumps({"event": kind, "function": name, "message": message}).decode())
        else:
            colour = {"error": "red", "deleted": "yellow"}.get(kind, "green")
            self._write(f"{self._style(f'{kind:>8}', fg=colour)}  {name}  {message}".rstrip())

    def ready(self, url: str, server: Server) -> None:
        held, self._held = self._held or [], None
        self._write(f"fnemu listening on {url}")  # plain: scripts match this line
        s3 = server.app[TRIGGERS][S3_UPLOAD]
        if s3.running:
            self._write(f"fake S3 on {s3.endpoint_url} (endpoint and keys: GET {url}/_emu/s3)")
        self._write(f"UI: {url}/_emu/ui")
        for kind, name, message in held:
            if kind == "error":
                self.report(kind, name, message)
        fns = server.app[REGISTRY].all()
        if fns:
            self._write(f"{'function':<24} {'url':<56} triggers")
            for fn in sorted(fns, key=lambda f: (f.app_id, f.name)):
                triggers = server.app[TRIGGERS].describe(fn, url)
                fn_url = function_url(url, fn.app_id, fn.name)
                self._write(f"{fn.name:<24} {fn_url:<56} {triggers}")
        else:
            self._write(f"no functions yet: POST {url}/v1/{server.config.app_id}/functions")
        server.app[LOGS].listeners.append(self.invocation)
        server.app[APPROVALS].listeners.append(self.approval)
        self._flush()

    def invocation(self, entry: LogEntry) -> None:
        if self.json_lines:
            self._write(orjson.dumps(entry.to_json()).decode())
            return
        status = entry.status_code
        colour = "green" if status < 400 else "yellow" if status < 500 else "red"
        trigger = entry.trigger if entry.source is None else f"{entry.trigger} ({entry.source})"
        line = (f"{iso(entry.timestamp)[11:23]}  {entry.function}  {trigger}  {entry.method} "
                f"{entry.path}  {self._style(str(status), fg=colour)}  {entry.duration_ms:.1f} ms  "
                f"{entry.memory_mb:g} MB")
        if entry.error:
            line += "  " + self._style(f"error: {entry.error.splitlines()[0]}", fg="red")
        self._write(line)
        for level, message, _ in entry.console:
            self._write(f"    [{level}] {message}")

    def approval(self, held: Approval) -> None:
        """A read_write tool call waiting for a decision, and the command that decides it."""
        if self.json_lines:
            self._write(orjson.dumps({"event": "approval", **held.to_json()}).decode())
            return
        text = orjson.dumps(held.input).decode()
        if len(text) > 200:
            text = text[:197] + "..."
        self._write(f"{self._style('approval', fg='yellow')}  {held.id}  {held.app_id}/{held.function}  "
                    f"{held.caller}  input {text}  (fnemu approvals approve|reject {held.id})")

    async def open(self) -> None:
        """Write through a non-blocking pipe transport when stdout is a pipe or a terminal: a
        parent that stops reading (a script that only waited for the ready line) must never
        block the event loop. A regular file never blocks and is written directly."""
        try:
            fd = self.out.fileno()
            if stat.S_ISREG(os.fstat(fd).st_mode):
                return
            pipe = os.fdopen(os.dup(fd), "wb", buffering=0)
        except (OSError, ValueError, io.UnsupportedOperation):
            return
        try:
            self._transport, _ = await asyncio.get_running_loop().connect_write_pipe(asyncio.Protocol, pipe)
        except (OSError, ValueError):
            pipe.close()

    def close(self) -> None:
        self._flush()
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _write(self, line: str) -> None:
        """Lines written in one pass of the event loop go out in one write."""
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(line)

    def _flush(self) -> None:
        lines, self._pending = self._pending, []
        if not lines:
            return
        if self._transport is None:
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()
            return
        if self._transport.get_write_buffer_size() > _UNREAD_LIMIT:
            self._dropped += len(lines)  # nobody is reading: keep memory bounded
            return
        if self._dropped:
            lines.insert(0, f"[fnemu] {self._dropped} lines dropped: stdout was not being read")
            self._dropped = 0
        self._transport.write(("\n".join(lines) + "\n").encode())
