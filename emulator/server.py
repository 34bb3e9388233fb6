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
from .keys import LOGS, REGISTRY
from .logstore import LogEntry

__all__ = ["Server", "run"]


class Server:
    """One emulator on one socket; `url` is known after `start()`."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.app = build_app(config)
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
        return self.url

    async def stop(self) -> None:
        await self._runner.cleanup()


def _print_entry(out: TextIO, json_lines: bool) -> object:
    def show(entry: LogEntry) -> None:
        if json_lines:
            out.write(orjson.dumps(entry.to_json()).decode() + "\n")
        else:
            line = (f"{iso(entry.timestamp)[11:23]}  {entry.function}  {entry.trigger}  {entry.method} "
                    f"{entry.path}  {entry.status_code}  {entry.duration_ms:.1f} ms  {entry.memory_mb:g} MB")
            if entry.error:
                line += f"  error: {entry.error.splitlines()[0]}"
            out.write(line + "\n")
            for level, message, _ in entry.console:
                out.write(f"    [{level}] {message}\n")
        out.flush()

    return show


async def run(config: Config, *, log_format: str = "pretty", out: TextIO = sys.stdout) -> None:
    """`fnemu start`: serve until SIGINT/SIGTERM; the first stdout line carries the API URL."""
    server = Server(config)
    url = await server.start()
    out.write(f"fnemu listening on {url}\n")
    out.write(f"  developer token: Authorization: Bearer <token> (--token / FNEMU_TOKEN)\n")
    fns = server.app[REGISTRY].all()
    if fns:
        out.write("  functions:\n")
        for fn in fns:
            triggers = ", ".join(t.type for t in fn.current.spec.triggers) or "-"
            out.write(f"    {fn.name:<24} {url}/v1/{fn.app_id}/fn/{fn.name}  [{triggers}]\n")
    else:
        out.write(f"  no functions yet: POST {url}/v1/{config.app_id}/functions\n")
    out.flush()
    server.app[LOGS].listeners.append(_print_entry(out, log_format == "json"))  # type: ignore[arg-type]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
