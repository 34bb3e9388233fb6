"""Serving the app: bind (port 0 picks a free one), announce the real URL, stop cleanly."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TextIO

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from .api import fn
from .api.middleware import protocol_error
from .app import build_app
from .config import Config
from .folder.load import Report
from .keys import INVOKER, LOADER, RUNTIME
from .terminal import Level, Terminal

__all__ = ["Server", "run"]

_log = logging.getLogger("fnemu.server")
_FORCED_EXIT = 130
"""The exit status of a stop forced by a second signal (as a shell reports an interrupt)."""


class _Handler(RequestHandler):
    """aiohttp's HTTP parser answers a request it cannot read (a header or URL over 8190 bytes, raw
    non-UTF-8 in the path, NUL in a header, a broken body encoding) here, before any middleware:
    answer in the contract's envelope and log one line instead of plain text and a traceback."""

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if request.writer.output_size > 0:
            raise ConnectionError("the response was already started; the connection is dropped")
        return protocol_error(request, status, exc, message)

    def log_exception(self, *args: Any, **kw: Any) -> None:
        """One line, not a traceback: what reaches here is a client's broken request or body."""
        exc = kw.get("exc_info")
        if exc is True:
            exc = sys.exc_info()[1]
        text = args[0] % args[1:] if args else "error"
        detail = " ".join(str(exc).split()) if isinstance(exc, BaseException) else ""
        self.logger.warning("%s: %s", text, detail or "no detail")


class _Server(web.Server):
    """Makes `_Handler`s where aiohttp makes `RequestHandler`s (private names of the pinned aiohttp, guarded by tests/test_server.py)."""

    def __call__(self) -> RequestHandler:
        return _Handler(self, loop=self._loop, **self._kwargs)


class _Runner(web.AppRunner):
    """aiohttp's AppRunner, serving through `_Server`, with the `/fn/` route taken first."""

    async def _make_server(self) -> web.Server:
        made = await super()._make_server()
        return _Server(fn.serving(self.app, made.request_handler), request_factory=made.request_factory,
                       handler_cancellation=made.handler_cancellation, loop=made._loop, **made._kwargs)


class Server:
    """One emulator on one socket; `url` is known after `start()`."""

    def __init__(self, config: Config, report: Report | None = None) -> None:
        self.config = config
        self.app = build_app(config, report) if report is not None else build_app(config)
        self._runner = _Runner(self.app, access_log=None, handle_signals=False)
        self.url = ""

    async def start(self) -> str:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, reuse_address=True)
        await site.start()
        port = self._runner.addresses[0][1]
        host = self.config.host
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{port}"
        self.app[INVOKER].host = f"{shown}:{port}"
        loader = self.app.get(LOADER)
        if loader is not None:
            loader.listening()  # its workers start at the next await: after the caller's ready line
        return self.url

    async def stop(self) -> None:
        await self._runner.cleanup()


async def run(config: Config, *, log_format: str = "pretty", level: Level = "normal",
              out: TextIO = sys.stdout, ready: Callable[[str], Awaitable[None]] | None = None) -> None:
    """`fnemu start`: serve until SIGINT/SIGTERM; the first stdout line carries the API URL.
    `ready(url)` runs once it listens (`fnemu demo`'s login link)."""
    terminal = Terminal(out, json_lines=log_format == "json", colour=out.isatty(), level=level)
    server = Server(config, terminal.report)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        """The first signal stops gracefully (within 2 s); a second one while that runs forces."""
        if not stop.is_set():
            _log.info("stopping (press Ctrl-C again to force)")
            stop.set()
            return
        _log.warning("forced to stop")
        server.app[RUNTIME].close()  # every worker's process group gets SIGKILL, without waiting
        os._exit(_FORCED_EXIT)

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    await terminal.open()
    url = await server.start()
    terminal.ready(url, server)
    try:
        if ready is not None:
            await ready(url)
        await stop.wait()
    finally:
        await server.stop()
        terminal.close()
