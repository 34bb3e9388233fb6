"""§3 errors from aiohttp's own HTTP parser (before any route or middleware): the JSON envelope
naming the part refused, and one line on stderr, never plain text or a traceback."""

from __future__ import annotations

import inspect
import socket
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from emulator import server as server_module
from tests.helpers import wait_until
from tests.process import ServerProcess, start_server

AUTH = b"Authorization: Bearer fnemu-dev-token\r\n"
BROKEN = [
    pytest.param(b"GET /_emu/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
                 "headers", id="header-over-8k"),
    pytest.param(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", "url", id="url-over-8k"),
    pytest.param(b"GET /v1/\xff\xfe/functions HTTP/1.1\r\nHost: x\r\n\r\n", "url", id="non-utf8-path"),
    pytest.param(b"GET /_emu/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", "headers", id="nul-in-header"),
    pytest.param(b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", "method", id="bad-method"),
    pytest.param(b"POST /v1/local/functions HTTP/1.1\r\nHost: x\r\n" + AUTH +
                 b"Content-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", "body", id="body-not-gzip"),
    pytest.param(b"POST /v1/local/functions HTTP/1.1\r\nHost: x\r\n" + AUTH +
                 b"Transfer-Encoding: chunked\r\n\r\nzz\r\n", "body", id="bad-chunk-size"),
    pytest.param(b"POST /v1/local/functions HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
                 "headers", id="bad-content-length"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("parser"))
    yield proc
    proc.stop()


def _send(url: str, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.parametrize(("raw", "field"), BROKEN)
def test_parser_errors_answer_the_envelope_and_log_one_line(server: ServerProcess, raw: bytes, field: str) -> None:
    before = server.stderr_text()
    status, headers, body = _send(server.url, raw)
    assert status == 400, body
    assert headers["content-type"].startswith("application/json")
    error = orjson.loads(body)["error"]
    assert sorted(error) == ["code", "field", "message"]
    assert error["code"] == "bad_request"
    assert error["field"] == field
    assert error["message"].startswith(f"{field}: ")
    new = wait_until(lambda: server.stderr_text()[len(before):], message="the log line")
    assert "Traceback" not in new
    assert len(new.strip().splitlines()) == 1, new


def test_the_server_still_answers_after_broken_requests(server: ServerProcess) -> None:
    for param in BROKEN:
        _send(server.url, param.values[0])
    status, _, body = _send(server.url, b"GET /_emu/health HTTP/1.1\r\nHost: x\r\n" + AUTH +
                            b"Connection: close\r\n\r\n")
    assert status == 200, body
    assert "Traceback" not in server.stderr_text()


async def _never_called(request: web.BaseRequest) -> web.StreamResponse:
    raise AssertionError("not called")


async def test_aiohttp_names_the_server_relies_on_are_where_they_were() -> None:
    """Drift guard: the parser's errors reach us through private names of aiohttp 3.14.5 (pinned);
    if an upgrade moves them, this fails before the envelope silently turns back to plain text."""
    assert aiohttp.__version__ == "3.14.5"
    assert list(inspect.signature(RequestHandler.handle_error).parameters) == [
        "self", "request", "status", "exc", "message"]
    assert callable(RequestHandler.log_exception)
    assert inspect.iscoroutinefunction(web.AppRunner._make_server)
    made = web.Server(_never_called, debug=False)
    assert hasattr(made, "_loop") and made._kwargs == {"debug": False}
    handler = server_module._Server(made.request_handler, loop=made._loop, debug=False)()
    assert isinstance(handler, server_module._Handler)
    source = inspect.getsource(web.Server.__call__)
    assert "RequestHandler(self, loop=self._loop, **self._kwargs)" in source
    assert Path(inspect.getfile(RequestHandler)).name == "web_protocol.py"


def test_a_long_header_value_that_starts_with_a_slash_is_still_headers(server: ServerProcess) -> None:
    status, _, body = _send(server.url, b"GET /_emu/health HTTP/1.1\r\nHost: x\r\nX-Path: /" + b"a" * 9000 +
                            b"\r\n\r\n")
    assert status == 400
    assert orjson.loads(body)["error"]["field"] == "headers"
