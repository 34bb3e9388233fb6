"""Serving the app: bind (port 0 picks a free one), announce the real URL, stop cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import TextIO

from aiohttp import web

from .app import build_app
from .config import Config
from .folder.load import Report
from .keys import INVOKER
from .terminal import Terminal

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


async def run(config: Config, *, log_format: str = "pretty", out: TextIO = sys.stdout) -> None:
    """`fnemu start`: serve until SIGINT/SIGTERM; the first stdout line carries the API URL."""
    terminal = Terminal(out, json_lines=log_format == "json", colour=out.isatty())
    server = Server(config, terminal.report)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await terminal.open()
    url = await server.start()
    terminal.ready(url, server)
    try:
        await stop.wait()
    finally:
        await server.stop()
        terminal.close()
