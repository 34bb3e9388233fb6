"""§3 `ANY /v1/{app_id}/fn/{name}[/rest]`: call a deployed function through its http trigger, or
open a WebSocket connection to it through its websocket trigger (§6)."""

from __future__ import annotations

from aiohttp import web
from multidict import CIMultiDict

from ..errors import NotFound, Unauthorized
from ..events.request import HttpRequest
from ..invoke import Invocation
from ..keys import AUTH, INVOKER, REGISTRY, TRIGGER_SERVICES
from ..triggers.websocket import auth_required, websocket_service
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
    rest = "/" + request.match_info.get("rest", "")
    if request.headers.get("Upgrade", "").lower() == "websocket" and (ws_auth := auth_required(fn)) is not None:
        _check_auth(request, ws_auth, "websocket")
        services = request.app[TRIGGER_SERVICES]
        result = await websocket_service(services).serve(request, fn, await _request(request, rest, "/", None))
        return respond(result) if isinstance(result, Invocation) else result
    route = fn.current.spec.route
    if route is None:
        raise NotFound(f"function {name!r} has no http trigger", "name")
    _check_auth(request, route.auth_required, "http")
    resource, params = route.match(request.method, rest)
    return respond(await request.app[INVOKER].invoke(fn, await _request(request, rest, resource, params), "http"))


def _check_auth(request: web.Request, required: bool, trigger: str) -> None:
    if required and request.app[AUTH].caller(request.headers.get("Authorization")) == "anonymous":
        raise Unauthorized(f"this function's {trigger} trigger needs auth: send Authorization: Bearer "
                           "<developer token or end-user token>")


async def _request(request: web.Request, rest: str, resource: str | None,
                   params: dict[str, str] | None) -> HttpRequest:
    return HttpRequest(
        method=request.method,
        path=rest,
        full_path=request.path,
        query=tuple(request.query.items()),
        raw_query=request.rel_url.raw_query_string,
        headers=tuple((k, _text(v)) for k, v in request.headers.items()),
        body=await request.read(),
        source_ip=request.remote or "127.0.0.1",
        host=request.host,
        resource=resource,
        path_params=params,
    )


def _text(value: str) -> str:
    """aiohttp keeps header bytes that are not UTF-8 as surrogates; the event is JSON, so they
    reach the function as U+FFFD."""
    return value if value.isascii() else value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def respond(inv: Invocation) -> web.Response:
    """The function's own response, or for a failure an error envelope without its internals."""
    if inv.failure is not None:
        return json_response({"error": {"code": inv.failure, "message": inv.public_error(), "field": None}},
                             inv.status)
    headers = CIMultiDict(inv.headers)
    if "Content-Type" not in headers:
        headers["Content-Type"] = "application/json"
    return web.Response(status=inv.status, headers=headers, body=inv.body)
