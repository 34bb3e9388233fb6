"""What `fnemu start` prints (CONTRACT §1, §11)."""

from __future__ import annotations

import asyncio
import io
import os
import shlex
import stat
import textwrap
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TextIO

import click
import orjson

from .agents.approvals import Approval
from .api.activity import Call
from .clock import iso
from .config import DEFAULT_URL, default_token
from .keys import ACTIVITY, APPROVALS, LOGS, REGISTRY, TRIGGERS
from .logstore import LogEntry
from .registry.registry import Function
from .triggers.s3_upload import S3_UPLOAD
from .urls import api_path, function_path, function_url

if TYPE_CHECKING:
    from .server import Server

__all__ = ["WIDTH", "Level", "Terminal", "table"]

_UNREAD_LIMIT = 1024 * 1024
WIDTH = 80
"""The start-up table fits a terminal this wide."""
_MIN_TRIGGER_ROOM = 24
Level = Literal["quiet", "normal", "verbose"]


_HELLO = 'def handler(event, context):\n    return {"statusCode": 200, "body": "hi"}\n'
"""The function the empty server's hint deploys."""


def _curl(token: str, url: str, *args: str) -> str:
    """A hint that runs as printed: curl with the developer token, quoted for a shell."""
    return shlex.join(["curl", "--oauth2-bearer", token, *args, url])


def _plain(text: str, **_: Any) -> str:
    return text


class Terminal:
    """The ready line first (scripts wait for it), the function table, then one line per folder
    event, per invocation (its console output indented beneath) and per request that is not one
    (a refused `/fn/` call, an API deploy or delete). Coloured by outcome on a terminal; plain
    text otherwise; one JSON object per line with `json_lines`. `quiet`: errors only (and held
    tool calls, which wait for a person); `verbose`: every request too, with its headers."""

    def __init__(self, out: TextIO, *, json_lines: bool, colour: bool, hold: bool = True,
                 level: Level = "normal") -> None:
        """`hold`: keep folder events until `ready`, so the ready line is the first line."""
        self.out = out
        self.json_lines = json_lines
        self.level = level
        self._style = click.style if colour else _plain
        self._held: list[tuple[str, str, str]] | None = [] if hold else None
        self._transport: asyncio.WriteTransport | None = None
        self._dropped = 0
        self._pending: list[str] = []

    def report(self, kind: str, name: str, message: str) -> None:
        if self._held is not None:
            self._held.append((kind, name, message))
            return
        if self.level == "quiet" and kind != "error":
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
        if s3.running and self.level != "quiet":
            self._write(f"fake S3 on {s3.endpoint_url} (endpoint and keys: "
                        f"{_curl(server.config.token, f'{url}/_emu/s3')})")
        if self.level != "quiet":
            self._write(f"UI: {url}/_emu/ui")
        for kind, name, message in held:
            if kind == "error":
                self.report(kind, name, message)
        if self.level != "quiet":
            self._banner(url, server)
        server.app[LOGS].listeners.append(self.invocation)
        server.app[APPROVALS].listeners.append(self.approval)
        server.app[ACTIVITY].listeners.append(self.call)
        server.app[ACTIVITY].every_request = self.level == "verbose"
        self._flush()

    def _banner(self, url: str, server: Server) -> None:
        """The function table (paths below the URL above), a curl line that works as printed,
        and the variables client commands need when they are not the defaults."""
        fns = sorted(server.app[REGISTRY].all(), key=lambda f: (f.app_id, f.name))
        config = server.config
        rows = [(fn.name, function_path(fn.app_id, fn.name),
                 [*server.app[TRIGGERS].describe(fn, ""), *(["does not load: see its error"] if fn.load_error else [])])
                for fn in fns]
        example = _example(fns, url, config.token)
        exports = {"FNEMU_URL": url if url != DEFAULT_URL else None,
                   "FNEMU_TOKEN": config.token if config.token != default_token() else None}
        export = " ".join(f"{k}={shlex.quote(v)}" for k, v in exports.items() if v)
        if self.json_lines:
            for fn, (_, path, triggers) in zip(fns, rows):
                self._write(orjson.dumps({"event": "function", "function": fn.name, "url": url + path,
                                          "triggers": triggers}).decode())
            if example or export:
                self._write(orjson.dumps({"event": "hint", "curl": example, "export": export or None}).decode())
            return
        if not fns:
            self._write("no functions yet: deploy one with")
            body = orjson.dumps({"name": "hello", "code": _HELLO}).decode()
            self._write("    " + _curl(config.token, url + api_path("v1", config.app_id, "functions"), "-d", body))
        for line in table(rows) if rows else ():
            self._write(line)
        if example:
            self._write(example)
        if export:
            self._write(f"export {export}")

    def invocation(self, entry: LogEntry) -> None:
        if self.level == "quiet" and not entry.failed:
            return
        if self.json_lines:
            self._write(orjson.dumps({**entry.to_json(), "summary": entry.described}).decode())
            return
        line = self._columns(entry.timestamp, entry.function, entry.described, entry.status_code,
                             entry.duration_ms, f"{entry.memory_mb:g} MB")
        if entry.error:
            line += "  " + self._style(f"error: {entry.error.splitlines()[0]}", fg="red")
        self._write(line)
        for level, message, _ in entry.console:
            self._write(f"    [{level}] {message}")

    def call(self, call: Call) -> None:
        """A request that ran no code: refused at `/fn/`, an API deploy or delete, or (verbose)
        any request; in the columns of an invocation line."""
        if self.level == "quiet" and call.status < 500:
            return
        if self.json_lines:
            fields: dict[str, Any] = {
                "event": call.kind, "function": call.function, "timestamp": iso(call.timestamp),
                "method": call.method, "path": call.path, "status_code": call.status,
                "duration_ms": call.duration_ms, "error": call.message}
            if call.version is not None:
                fields["version"] = call.version
            if call.headers:
                fields["headers"] = dict(call.headers)
            self._write(orjson.dumps(fields).decode())
            return
        line = self._columns(call.timestamp, call.function or "-", call.described, call.status, call.duration_ms, "")
        if call.message:
            line += "  " + self._style(call.message, fg="yellow" if call.status < 500 else "red")
        self._write(line)
        for name, value in call.headers:
            self._write(f"    > {name}: {value}")

    def _columns(self, timestamp: float, function: str, what: str, status: int, duration_ms: float,
                 memory: str) -> str:
        colour = "green" if status < 400 else "yellow" if status < 500 else "red"
        return (f"{iso(timestamp)[11:23]}  {function:<14}  {what:<24}  {self._style(str(status), fg=colour)}  "
                f"{duration_ms:>6.1f} ms {memory:>8}").rstrip()

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
        block the event loop. Anything else (a regular file, /dev/null) never blocks and is
        written directly: the event loop cannot watch it."""
        try:
            fd = self.out.fileno()
            mode = os.fstat(fd).st_mode
            if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or os.isatty(fd)):
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


def table(rows: Sequence[tuple[str, str, Sequence[str]]], width: int = WIDTH) -> list[str]:
    """(name, path, trigger parts) rows as lines at most `width` wide: the triggers wrap onto
    continuation lines under their column (a word longer than the column, like a webhook URL,
    moves left just as far as it must)."""
    name_w = max(len("function"), *(len(r[0]) for r in rows))
    path_w = max(len("path"), *(len(r[1]) for r in rows))
    indent = name_w + 2 + path_w + 2
    if indent > width - _MIN_TRIGGER_ROOM:  # long names: the triggers go below each row
        indent = 4
        lines = [f"{'function':<{name_w}}  path (triggers below)"]
    else:
        lines = [f"{'function':<{name_w}}  {'path':<{path_w}}  triggers"]
    for name, path, parts in rows:
        chunks = _wrap(parts or ["-"], width - indent)
        if indent == 4:
            lines.append(f"{name:<{name_w}}  {path}")
        else:
            lines.append(f"{name:<{name_w}}  {path:<{path_w}}  {chunks.pop(0)}")
        lines.extend(" " * min(indent, max(width - len(chunk), 0)) + chunk for chunk in chunks)
    return lines


def _wrap(parts: Sequence[str], room: int) -> list[str]:
    """Comma-separated parts, filled into lines of `room` characters, broken only at spaces."""
    lines: list[str] = []
    line = ""
    for i, part in enumerate(parts):
        text = part + ("," if i < len(parts) - 1 else "")
        for piece in textwrap.wrap(text, room, break_long_words=False, break_on_hyphens=False):
            joined = f"{line} {piece}" if line else piece
            if len(joined) <= room or not line:
                line = joined
            else:
                lines.append(line)
                line = piece
    lines.append(line)
    return lines


def _example(fns: Iterable[Function], url: str, token: str) -> str | None:
    """A curl command, with the developer token, for the shortest URL a plain GET reaches."""
    targets = []
    for fn in fns:
        http = fn.current.spec.trigger("http")
        if http is None:
            continue
        method, path = http.config.get("method", "ANY"), http.config.get("path") or ""
        gets = method in ("ANY", "GET") or (isinstance(method, list) and "GET" in method)
        if gets and "{" not in path:
            targets.append(function_url(url, fn.app_id, fn.name) + path.rstrip("/"))
    if not targets:
        return None
    target = min(targets, key=lambda t: (len(t), t))
    return _curl(token, target)
