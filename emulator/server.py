"""Serving the app: bind (port 0 picks a free one), announce the real URL, stop cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TextIO

import orjson
from aiohttp import web

from .app import build_app
from .clock import iso
from .config import Config
from .folder.load import Report
from .keys import CLOCK, INVOKER, LOGS, REGISTRY
from .logstore import LogEntry
from .triggers.cron import next_fire_text

__all__ = ["Server", "run"]


class Server:
    """One emulator on one socket; `url` is known after `start()`."""

    def __init__(self, config: Config, report: Report | None = None) -> None:
        self.config = config
        self.app = build_app(config, report) if report is not None else build_app(config)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        self.url = ""

    async def start(self) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, reuse_address=True)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        self.app[INVOKER].host = f"{shown}:{port}"
        return self.url

    async def stop(self) -> None:
        await self._runner.cleanup()


class _Terminal:
    """What `fnemu start` prints: the ready line first, then folder events and invocations."""

    def __init__(self, out: TextIO, json_lines: bool) -> None:
        self.out = out
        self.json_lines = json_lines
        self._held: list[tuple[str, str, str]] | None = []
        self._pending: list[str] = []

    def report(self, kind: str, name: str, message: str) -> None:
        if self._held is not None:
            self._held.append((kind, name, message))
            return
        if self.json_lines:
            self._write(orjson.dumps({"event": kind, "function": name, "message": message}).decode())
        else:
            self._write(f"{kind:>8}  {name}  {message}".rstrip())

    def ready(self, url: str, server: Server) -> None:
        held, self._held = self._held or [], None
        self._write(f"fnemu listening on {url}")
        for kind, name, message in held:
            if kind == "error":
                self.report(kind, name, message)
        fns = server.app[REGISTRY].all()
        if fns:
            self._write(f"{'function':<24} {'url':<56} triggers")
            for fn in sorted(fns, key=lambda f: (f.app_id, f.name)):
                spec = fn.current.spec
                triggers = ", ".join(t.type for t in spec.triggers) or "-"
                cron = spec.trigger("cron")
                if cron is not None:
                    triggers += f" (next {next_fire_text(cron.config, server.app[CLOCK].now())})"
                fn_url = f"{url}/v1/{fn.app_id}/fn/{fn.name}"
                self._write(f"{fn.name:<24} {fn_url:<56} {triggers}")
        else:
            self._write(f"no functions yet: POST {url}/v1/{server.config.app_id}/functions")
        server.app[LOGS].listeners.append(self.invocation)
        self._flush()

    def invocation(self, entry: LogEntry) -> None:
        if self.json_lines:
            self._write(orjson.dumps(entry.to_json()).decode())
            return
        line = (f"{iso(entry.timestamp)[11:23]}  {entry.function}  {entry.trigger}  {entry.method} "
                f"{entry.path}  {entry.status_code}  {entry.duration_ms:.1f} ms  {entry.memory_mb:g} MB")
        if entry.error:
            line += f"  error: {entry.error.splitlines()[0]}"
        self._write(line)
        for level, message, _ in entry.console:
            self._write(f"    [{level}] {message}")

    def _write(self, line: str) -> None:
        """Lines written in one pass of the event loop go out in one write and one flush."""
        if not self._pending:
            asyncio.get_running_loop().call_soon(self._flush)
        self._pending.append(line)

    def _flush(self) -> None:
        lines, self._pending = self._pending, []
        if not lines:
            return
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()


async def run(config: Config, *, log_format: str = "pretty", out: TextIO = sys.stdout) -> None:
    """`fnemu start`: serve until SIGINT/SIGTERM; the first stdout line carries the API URL."""
    terminal = _Terminal(out, log_format == "json")
    server = Server(config, terminal.report)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    url = await server.start()
    terminal.ready(url, server)
    try:
        await stop.wait()
    finally:
        await server.stop()
