"""§3 `ANY /v1/{app_id}/fn/{name}[/rest]`: call a deployed function through its request triggers.

The function's request triggers (http, webhook, websocket) check the request before any code runs
(`Triggers.check`); the one that takes it names the trigger the invocation is logged under.
"""

from __future__ import annotations

from aiohttp import web
from multidict import CIMultiDict

from ..errors import NotFound
from ..events.request import read_request
from ..invoke import Invocation
from ..keys import INVOKER, REGISTRY, TRIGGERS
from .body import json_response

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.route("*", "/v1/{app_id}/fn/{name}")
@routes.route("*", r"/v1/{app_id}/fn/{name}/{rest:[\s\S]*}")
async def call_function(request: web.Request) -> web.StreamResponse:
    app_id, name = request.match_info["app_id"], request.match_info["name"]
    fn = request.app[REGISTRY].find(app_id, name)
    if fn is None:
        raise NotFound(f"function {name!r} not found in app {app_id!r}", "name")
    admitted = await request.app[TRIGGERS].check(fn, request)
    if isinstance(admitted, web.StreamResponse):
        return admitted
    req = await read_request(request, resource=admitted.resource, path_params=admitted.path_params,
                             claims=admitted.claims)
    return respond(await request.app[INVOKER].invoke(
        fn, req, admitted.trigger, source=admitted.source, summary=admitted.summary))


def respond(inv: Invocation) -> web.Response:
    """The function's own response, or for a failure an error envelope without its internals."""
    if inv.failure is not None:
        return json_response({"error": {"code": inv.failure, "message": inv.public_error(), "field": None}},
                             inv.status)
    headers = CIMultiDict(inv.headers)
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return web.Response(status=inv.status, headers=headers, body=inv.body)
