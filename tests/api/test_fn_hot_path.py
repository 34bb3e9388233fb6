"""§3 the `/fn/` route taken before aiohttp's router: the same function, path and answer either way."""

from __future__ import annotations

import http.client
import inspect
import json
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from emulator.api.fn import _PLAIN_PATH, call_function
from emulator.app import build_app
from emulator.config import Config

from .test_fn import ECHO

PATHS = ["/v1/local/fn/echo", "/v1/local/fn/echo/", "/v1/local/fn/echo/a/b", "/v1/a.b-c_d/fn/x-y_z/a//b/",
         "/v1/local/fn/echo/{x}", "/v1/local/fn/echo/%7Bx%7D", "/v1/local/fn/echo/a%2Fb", "/v1/local/fn/ec%2Fho",
         "/v1/local/fn", "/v1/local/fn/", "/v1/local/functions/echo", "/v1/{a}/fn/echo", "/v2/local/fn/echo"]


async def test_a_plain_path_is_matched_as_the_router_matches_it() -> None:
    """Every path the hot path takes gets the router's own match; every other path is left to
    the router (which may still send it to `call_function` once it has decoded it)."""
    app = build_app(Config(port=0))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        taken = 0
        for path in PATHS:
            request = make_mocked_request("GET", path, app=app)
            info = await app.router.resolve(request)
            routed = dict(info) if info.http_exception is None and info.handler is call_function else None
            m = _PLAIN_PATH.fullmatch(request.rel_url.path_safe)
            if m is not None:
                taken += 1
                app_id, name, rest = m.groups()
                assert routed == {"app_id": app_id, "name": name, **({} if rest is None else {"rest": rest})}, path
        assert taken == 6
    finally:
        await runner.cleanup()


def test_aiohttp_names_the_hot_path_relies_on_are_where_they_were() -> None:
    """Drift guard: the hot path sets a request's match as aiohttp's own `_handle` does (pinned aiohttp)."""
    assert "request._match_info = match_info" in inspect.getsource(web.Application._handle)
    assert "match_info = self._match_info" in inspect.getsource(web.Request)  # read (once) by `match_info`
    assert list(inspect.signature(web.UrlMappingMatchInfo).parameters) == ["match_dict", "route"]


def _request(url: str, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """A request sent with its path exactly as written (no client normalises it)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def test_a_path_the_router_decodes_reaches_the_same_function_and_path(fnemu: Any) -> None:
    fnemu.deploy("echo", ECHO, triggers=[{"type": "http", "config": {"auth": "none"}}])
    plain = _request(fnemu.url, "GET", "/v1/local/fn/echo/a/b")
    encoded = _request(fnemu.url, "GET", "/v1/local/fn/echo/a%2Fb")  # through the router
    spelled = _request(fnemu.url, "GET", "/v1/local/fn/%65cho/a/b")  # decoded before either sees it
    assert plain[0] == encoded[0] == spelled[0] == 200
    assert plain[1]["path"] == encoded[1]["path"] == spelled[1]["path"] == "/a/b"


def test_a_request_that_expects_100_continue_is_answered(fnemu: Any) -> None:
    fnemu.deploy("echo", ECHO, triggers=[{"type": "http", "config": {"auth": "none"}}])
    status, seen = _request(fnemu.url, "POST", "/v1/local/fn/echo/x", b'{"a": 1}',
                            {"Expect": "100-continue", "Content-Type": "application/json"})
    assert status == 200
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/x", '{"a": 1}')
