"""§3 `ANY /v1/{app_id}/fn/{name}[/rest]`: call a deployed function through its request triggers.

The function's request triggers (http, webhook, websocket) check the request before any code runs
(`Triggers.check`); the one that takes it names the trigger the invocation is logged under.

This route is the emulator's hot path, so it is taken before aiohttp's router (`serving`): a
path that plainly matches it gets the match the router would give, and runs through the app's
middlewares as the router would run it; any other path, a `/fn/` path the router must decode
first (`%`), and a request that expects `100-continue` go through the app as usual.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web
from multidict import CIMultiDict

from ..errors import NotFound
from ..events.request import read_request
from ..invoke import Invocation
from ..keys import INVOKER, REGISTRY, TRIGGERS
from .body import json_response

__all__ = ["routes", "serving"]

routes = web.RouteTableDef()

_PLAIN_PATH = re.compile(r"/v1/([^{}/%]+)/fn/([^{}/%]+)(?:/([^%]*))?", re.S)
"""What the two routes' patterns match (a `{name}` is `[^{}/]+`), without a `%`: aiohttp's
`path_safe` keeps `%2F` and `%25` encoded, and the router decodes them in each part."""


@routes.route("*", "/v1/{app_id}/fn/{name}")
@routes.route("*", r"/v1/{app_id}/fn/{name}/{rest:[\s\S]*}")
async def call_function(request: web.Request) -> web.StreamResponse:
    app_id, name = request.match_info["app_id"], request.match_info["name"]
    app = request.app
    fn = app[REGISTRY].find(app_id, name)
    if fn is None:
        raise NotFound(f"function {name!r} not found in app {app_id!r}", "name")
    admitted = await app[TRIGGERS].check(fn, request)
    if isinstance(admitted, web.StreamResponse):
        return admitted
    req = await read_request(request, resource=admitted.resource, path_params=admitted.path_params,
                             claims=admitted.claims)
    return respond(await app[INVOKER].invoke(
        fn, req, admitted.trigger, source=admitted.source, summary=admitted.summary))


def respond(inv: Invocation) -> web.Response:
    """The function's own response, or for a failure an error envelope without its internals."""
    if inv.failure is not None:
        return json_response({"error": {"code": inv.failure, "message": inv.public_error(), "field": None}},
                             inv.status)
    headers = CIMultiDict(inv.headers)
    if hdrs.CONTENT_TYPE not in headers:
        headers[hdrs.CONTENT_TYPE] = "application/json"
    return web.Response(status=inv.status, headers=headers, body=inv.body)


Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def serving(app: web.Application, handle: Handler) -> Handler:
    """The request handler of the served `app` (frozen), whose own is `handle`: `/fn/` first."""
    ours = {"{rest}" in r.resource.canonical: r for r in app.router.routes()
            if r.handler is call_function and r.resource is not None}
    short, long = ours[False], ours[True]
    wrapped: Callable[[web.Request], Awaitable[web.StreamResponse]] = call_function
    for middleware in reversed(app.middlewares):
        wrapped = functools.partial(middleware, handler=wrapped)

    async def serve(request: web.BaseRequest) -> web.StreamResponse:
        m = _PLAIN_PATH.fullmatch(request.rel_url.path_safe)
        if m is None or hdrs.EXPECT in request.headers:
            return await handle(request)
        app_id, name, rest = m.groups()
        if rest is None:
            info = web.UrlMappingMatchInfo({"app_id": app_id, "name": name}, short)
        else:
            info = web.UrlMappingMatchInfo({"app_id": app_id, "name": name, "rest": rest}, long)
        info.add_app(app)
        info.freeze()
        assert isinstance(request, web.Request)  # the app's request factory makes them
        request._match_info = info  # noqa: SLF001 - as the router's caller sets it (tests/api/test_fn_hot_path.py)
        return await wrapped(request)

    return serve
