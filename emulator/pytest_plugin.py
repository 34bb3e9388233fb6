"""The `fnemu` pytest fixture (CONTRACT §12): one emulator per test session, reset before each test.

Installed through the `pytest11` entry point, so a user's suite needs no conftest. The server runs
in-process, on its own event loop in a thread, on 127.0.0.1 and a free port.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any

import httpx
import pytest

from .client import Client
from .config import Config
from .server import Server

__all__ = ["Emulator", "EmulatorThread"]


class EmulatorThread:
    """A Server on a private event loop in a daemon thread; start() returns once it listens."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.server: Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def start(self) -> str:
        started: Future[str] = Future()
        self._thread = threading.Thread(target=self._main, args=(started,), name="fnemu", daemon=True)
        self._thread.start()
        return started.result(timeout=30)

    def _main(self, started: Future[str]) -> None:
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover
            loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)

        async def boot() -> None:
            self.server = Server(self.config)
            url = await self.server.start()
            started.set_result(url)

        try:
            loop.run_until_complete(boot())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            started.set_exception(exc)
            return
        loop.run_forever()
        loop.run_until_complete(self.server.stop())  # type: ignore[union-attr]
        loop.close()
        self._stopped.set()

    def run(self, coro: Any, timeout: float = 60) -> Any:
        """Run a coroutine on the server's loop from the test's thread."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)


class Emulator:
    """What a test gets as `fnemu`."""

    def __init__(self, thread: EmulatorThread, url: str) -> None:
        self._thread = thread
        self.url = url
        self.token = thread.config.token
        self.app_id = thread.config.app_id
        self.client = Client(url, self.token, self.app_id)
        self.http = httpx.Client(base_url=url, timeout=330.0)

    @property
    def server(self) -> Server:
        assert self._thread.server is not None
        return self._thread.server

    def close(self) -> None:
        self.client.close()
        self.http.close()

    def reset(self) -> None:
        self.client.reset()

    def deploy(self, name: str, code: str, **fields: Any) -> dict[str, Any]:
        return self.client.deploy(name, code, **fields)

    def call(self, name: str, method: str = "GET", path: str = "", json: Any = None,
             headers: dict[str, str] | None = None, auth: bool = True, **kwargs: Any) -> httpx.Response:
        """Call the function's `/fn/` URL; `auth=True` sends the developer token."""
        all_headers = dict(headers or {})
        if auth and not any(k.lower() == "authorization" for k in all_headers):
            all_headers["Authorization"] = f"Bearer {self.token}"
        suffix = path if not path or path.startswith("/") else "/" + path
        return self.http.request(method, f"/v1/{self.app_id}/fn/{name}{suffix}", json=json,
                                 headers=all_headers, **kwargs)

    def invoke(self, name: str, **request: Any) -> dict[str, Any]:
        return self.client.invoke(name, **request)

    def logs(self, name: str, **filters: Any) -> list[dict[str, Any]]:
        return self.client.logs(name, **filters)

    def user_token(self, sub: str, **claims: Any) -> str:
        return self.client.user_token(sub, **claims)


@pytest.fixture(scope="session")
def _fnemu_session() -> Iterator[Emulator]:
    thread = EmulatorThread(Config(port=0))
    url = thread.start()
    emulator = Emulator(thread, url)
    try:
        yield emulator
    finally:
        emulator.close()
        thread.stop()


@pytest.fixture
def fnemu(_fnemu_session: Emulator) -> Emulator:
    """A running emulator, reset to a fresh state for this test."""
    _fnemu_session.reset()
    return _fnemu_session
