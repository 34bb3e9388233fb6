"""The `fnemu` pytest fixture (CONTRACT §12): one emulator per test session, reset before each test.

Installed through the `pytest11` entry point, so a user's suite needs no conftest. The server runs
in-process, on its own event loop in a thread, on 127.0.0.1 and a free port.

pytest loads this module in every run of every suite in an environment where fnemu is installed,
so it imports nothing but pytest and the standard library: the emulator's own modules (aiohttp,
httpx, moto) are imported where they are first used, when a test asks for the fixture.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from .urls import function_path, websocket_url

if TYPE_CHECKING:
    import asyncio

    import httpx
    from websockets.sync.client import ClientConnection

    from .config import Config
    from .server import Server

__all__ = ["Emulator", "EmulatorThread", "WebSocketClient", "event"]

_T = TypeVar("_T")


class EmulatorThread:
    """A Server on a private event loop in a daemon thread; start() returns once it listens."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.server: Server | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def start(self) -> str:
        _import_unrewritten()
        started: Future[str] = Future()
        self._thread = threading.Thread(target=self._main, args=(started,), name="fnemu", daemon=True)
        self._thread.start()
        return started.result(timeout=30)

    def _main(self, started: Future[str]) -> None:
        import asyncio

        from .server import Server

        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover
            loop = asyncio.new_event_loop()
        self.loop = loop
        asyncio.set_event_loop(loop)

        try:
            server = Server(self.config)
            self.server = server
            started.set_result(loop.run_until_complete(server.start()))
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            started.set_exception(exc)
            return
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()
        self._stopped.set()

    def run(self, coro: Any, timeout: float = 60) -> Any:
        """Run a coroutine on the server's loop from the test's thread."""
        import asyncio

        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)


async def _off_loop(call: Callable[..., _T], *args: Any) -> _T:
    """`call` in a thread, awaited: the async client methods (asyncio is loaded by then)."""
    import asyncio

    return await asyncio.to_thread(call, *args)


def _import_unrewritten() -> None:
    """The server and its client, imported with pytest's assertion rewriting out of the way.
    pytest rewrites every module of a package that ships a pytest plugin, ours included: it parses
    and compiles each from source instead of loading its bytecode, and where bytecode is not
    written (PYTHONDONTWRITEBYTECODE) it does so in every run, about 270 ms for the server's
    modules here. The emulator's own asserts gain nothing from it. The test's thread waits for
    the emulator meanwhile, so no test module is imported in between."""
    if "emulator.server" in sys.modules:
        return
    hooks = [finder for finder in sys.meta_path if type(finder).__module__ == "_pytest.assertion.rewrite"]
    for hook in hooks:
        sys.meta_path.remove(hook)
    try:
        from . import client, server  # noqa: F401 - imported for sys.modules
    finally:
        sys.meta_path[0:0] = hooks


class Emulator:
    """What a test gets as `fnemu`."""

    def __init__(self, thread: EmulatorThread, url: str) -> None:
        import httpx

        from .client import Client, tls_for

        self._thread = thread
        self.url = url
        self.token = thread.config.token
        self.app_id = thread.config.app_id
        self.client = Client(url, self.token, self.app_id)
        self.http: httpx.Client = httpx.Client(base_url=url, timeout=330.0, verify=tls_for(url))

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
        """The function object; `emulator.client.DeployFailed` (the API's code, field and message)
        when the server refuses it."""
        __tracebackhide__ = True
        return self.client.deploy(name, code, **fields)

    def call(self, name: str, method: str = "GET", path: str = "", json: Any = None,
             headers: dict[str, str] | None = None, auth: bool = True, **kwargs: Any) -> httpx.Response:
        """Call the function's `/fn/` URL; `auth=True` sends the developer token."""
        all_headers = dict(headers or {})
        if auth and not any(k.lower() == "authorization" for k in all_headers):
            all_headers["Authorization"] = f"Bearer {self.token}"
        suffix = path if not path or path.startswith("/") else "/" + path
        return self.http.request(method, function_path(self.app_id, name) + suffix, json=json,
                                 headers=all_headers, **kwargs)

    def invoke(self, name: str, **request: Any) -> dict[str, Any]:
        return self.client.invoke(name, **request)

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        """`event(kind, **fields)` as this emulator sends it: its host and app."""
        from urllib.parse import urlsplit

        fields.setdefault("host", urlsplit(self.url).netloc)
        fields.setdefault("app_id", self.app_id)
        return event(kind, **fields)

    def websocket(self, name: str, path: str = "", headers: dict[str, str] | None = None,
                  auth: bool = True) -> WebSocketClient:
        """Open a WebSocket on the function's websocket trigger; `auth=True` sends the developer
        token. A refused upgrade raises `websockets.exceptions.InvalidStatus` (its `response`
        has the status and body)."""
        from websockets.sync.client import connect

        all_headers = dict(headers or {})
        if auth and not any(k.lower() == "authorization" for k in all_headers):
            all_headers["Authorization"] = f"Bearer {self.token}"
        suffix = path if not path or path.startswith(("/", "?")) else "/" + path
        url = websocket_url(self.url, self.app_id, name) + suffix
        return WebSocketClient(connect(url, additional_headers=all_headers, open_timeout=30, legacy=True,
                                       max_size=None))

    def logs(self, name: str, **filters: Any) -> list[dict[str, Any]]:
        return self.client.logs(name, **filters)

    def user_token(self, sub: str, **claims: Any) -> str:
        return self.client.user_token(sub, **claims)

    def call_tool(self, name: str, input: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        """Call an agent tool as the developer, or with `token` (an end-user token) as that user:
        the invocation envelope, or `{"approval_id"}` for a read_write tool. ClientError on 4xx."""
        return self.client.call_tool(name, input, token)

    def approve(self, approval_id: str) -> dict[str, Any]:
        """Approve a held read_write tool call: it runs once; its invocation envelope."""
        return self.client.decide(approval_id, True)

    def s3_client(self) -> Any:
        """A boto3 S3 client on the emulator's fake S3 (emptied before each test)."""
        return self.client.s3_client()

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the emulator clock; `{"now", "fired", "skipped"}` once every cron fire it caused
        has finished (`fired`: `function`, `scheduledTime`, `status_code`, in time order)."""
        return self.client.advance_clock(seconds)

    def webhook_send(self, name: str, source: str | None = None, payload: Any = None,
                     event: str | None = None) -> httpx.Response:
        """POST a delivery to NAME's webhook URL, signed as `source` (github, stripe, slack, generic)
        signs it; `payload` is bytes or str as sent, anything else as JSON (default: a sample
        delivery of that provider)."""
        if payload is None or isinstance(payload, bytes):
            body = payload
        else:
            import orjson

            body = payload.encode() if isinstance(payload, str) else orjson.dumps(payload)
        return self.client.webhook_send(name, source=source, body=body, event=event)

    def fire_cron(self, name: str) -> dict[str, Any]:
        """Fire NAME's cron trigger now; the invocation envelope."""
        return self.client.fire_cron(name)

    def deploy_dir(self, path: str | Path) -> dict[str, Any]:
        """Deploy one function from a `NAME/` folder (CONTRACT §10): a snapshot of its files.
        DeployFailed, as `deploy` raises it, when its code or config is refused."""
        __tracebackhide__ = True
        from .client import ClientError, DeployFailed
        from .errors import ApiError
        from .folder.files import FOLDER_ENTRIES
        from .folder.scan import find, read_function
        from .keys import REGISTRY, TRIGGERS

        folder = Path(path).resolve()
        found = find(folder.parent, folder.name)
        if found is None or found.folder is None:
            raise ValueError(f"{folder} has no entry file ({', '.join(FOLDER_ENTRIES)} or \"entry\" "
                             "in function.json)")
        spec, files = read_function(found)
        server = self.server

        async def deploy() -> dict[str, Any]:
            fn, _ = await server.app[REGISTRY].deploy(self.app_id, spec, files=files)
            return server.app[TRIGGERS].function_json(fn, self.url)

        try:
            result: dict[str, Any] = self._thread.run(deploy())
        except ApiError as refused:
            raise DeployFailed(ClientError(refused.message, refused.status, refused.to_json())) from None
        return result

    def describe_invocations(self, since: float) -> str:
        """Every invocation since `since`, oldest first, with errors and console output."""
        from .keys import LOGS, REGISTRY

        app = self.server.app
        entries = [e for fn in app[REGISTRY].all()
                   for e in app[LOGS].query(fn.app_id, fn.name, limit=1000, since=since)]
        lines = []
        for e in sorted(entries, key=lambda e: e.timestamp):
            lines.append(f"{e.function} [{e.trigger}] {e.method} {e.path} -> {e.status_code} "
                         f"({e.duration_ms:.1f} ms)")
            lines.extend(f"    {level}: {message}" for level, message, _ in e.console)
            if e.error:
                lines.extend(f"    ! {line}" for line in e.error.splitlines())
        return "\n".join(lines)


def event(kind: str, **fields: Any) -> dict[str, Any]:
    """A ready `kind` event (apigw, apigw-v2, s3, cron, websocket, webhook) of exactly the shape
    fnemu hands a `lambda` handler, for a test that calls the handler directly; no server needed
    (`fnemu event KIND` as a function). Fields: method, path, query, headers, body, bucket, key,
    size, content_type, time, source, secret, function, app_id, host, region."""
    from .events.kinds import fields as event_fields, generate

    return generate(kind, event_fields(**fields))


class WebSocketClient:
    """A connection to a function's websocket trigger. `send`/`receive` block, for plain tests;
    `asend`/`areceive` await, for `async def` tests. Usable as a (async) context manager."""

    def __init__(self, connection: ClientConnection) -> None:
        self._ws = connection
        assert connection.response is not None
        self.connection_id: str = connection.response.headers["X-Fnemu-Connection-Id"]
        """The id `POST /_emu/connections/{id}` pushes to (the events' `connectionId`)."""

    def send(self, data: str | bytes) -> None:
        """One frame: text for a str, binary for bytes."""
        self._ws.send(data)

    def receive(self, timeout: float = 30.0) -> str | bytes:
        """The next frame (str for text, bytes for binary); TimeoutError after `timeout` seconds."""
        return self._ws.recv(timeout=timeout)

    def receive_json(self, timeout: float = 30.0) -> Any:
        import json

        return json.loads(self.receive(timeout))

    def close(self, code: int = 1000) -> None:
        self._ws.close(code)

    @property
    def close_code(self) -> int | None:
        """The code the connection closed with (1009: a frame over the limit), None while open."""
        return self._ws.close_code

    async def asend(self, data: str | bytes) -> None:
        await _off_loop(self.send, data)

    async def areceive(self, timeout: float = 30.0) -> str | bytes:
        return await _off_loop(self.receive, timeout)

    async def areceive_json(self, timeout: float = 30.0) -> Any:
        return await _off_loop(self.receive_json, timeout)

    async def aclose(self, code: int = 1000) -> None:
        await _off_loop(self.close, code)

    def __enter__(self) -> WebSocketClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> WebSocketClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fnemu", "fnemu emulator")
    for name, help_text in (
        ("functions_dir", "functions folder the fnemu fixture serves"),
        ("python", "interpreter for Python functions"),
        ("node", "node binary for Node functions"),
    ):
        option = f"--fnemu-{name.replace('_', '-')}"
        group.addoption(option, dest=f"fnemu_{name}", default=None, help=help_text)
        parser.addini(f"fnemu_{name}", help_text, default=None)
    follow = "load folder functions whose files are symlinks to outside the folder (fnemu start --follow-symlinks)"
    group.addoption("--fnemu-follow-symlinks", dest="fnemu_follow_symlinks", action="store_true", help=follow)
    parser.addini("fnemu_follow_symlinks", follow, type="bool", default=False)


_LOOP_SCOPE = "asyncio_default_fixture_loop_scope"


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser) -> None:
    """Async tests need pytest-asyncio, which warns on every run of a project that leaves
    `asyncio_default_fixture_loop_scope` unset. Give it the default pytest-asyncio announces
    (`function`), so a project that adds fnemu needs no set-up to run quietly; a value the
    project sets (ini file or `-o`) still wins: a default is only read when nothing is set.
    Runs once every plugin has registered its options, before pytest-asyncio reads them."""
    if early_config.pluginmanager.has_plugin("asyncio"):
        parser.addini(_LOOP_SCOPE, "default scope of the asyncio event loop used to execute async fixtures "
                      "(fnemu's default: function)", type="string", default="function")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fnemu(functions_dir=None): serve this functions folder to the test")


def _setting(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"fnemu_{name}", None) or config.getini(f"fnemu_{name}")
    return str(value) if value else None


class _Servers:
    """One emulator per distinct folder, started on first use and kept for the session."""

    def __init__(self, config: pytest.Config) -> None:
        self._config = config
        self._running: dict[str | None, tuple[EmulatorThread, Emulator]] = {}

    def get(self, functions_dir: str | None) -> Emulator:
        _import_unrewritten()
        from .config import Config

        key = str(Path(functions_dir).resolve()) if functions_dir else None
        if key not in self._running:
            fields: dict[str, Any] = {"port": 0, "functions_dir": Path(key) if key else None}
            for name in ("python", "node"):
                value = _setting(self._config, name)
                if value and name in Config.__dataclass_fields__:
                    fields[name] = value
            if self._config.getoption("fnemu_follow_symlinks", False) or self._config.getini("fnemu_follow_symlinks"):
                fields["follow_symlinks"] = True
            thread = EmulatorThread(Config(**fields))
            self._running[key] = (thread, Emulator(thread, thread.start()))
        return self._running[key][1]

    def close(self) -> None:
        for thread, emulator in self._running.values():
            emulator.close()
            thread.stop()
        self._running.clear()


@pytest.fixture(scope="session")
def _fnemu_servers(pytestconfig: pytest.Config) -> Iterator[_Servers]:
    servers = _Servers(pytestconfig)
    try:
        yield servers
    finally:
        servers.close()


@pytest.fixture
def fnemu(request: pytest.FixtureRequest, _fnemu_servers: _Servers) -> Emulator:
    """A running emulator, reset to a fresh state for this test."""
    marker = request.node.get_closest_marker("fnemu")
    folder = marker.kwargs.get("functions_dir") if marker else None
    emulator = _fnemu_servers.get(folder or _setting(request.config, "functions_dir"))
    from .keys import CLOCK

    emulator.reset()
    request.node.stash[_USED] = (emulator, emulator.server.app[CLOCK].now())
    return emulator


_USED = pytest.StashKey[tuple["Emulator", float]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failed test shows what its functions did: each invocation, its error and console output."""
    report = yield
    used = item.stash.get(_USED, None)
    if used is not None and report.failed and call.when == "call":
        emulator, since = used
        text = emulator.describe_invocations(since)
        if text:
            report.sections.append(("fnemu invocations", text))
    return report
