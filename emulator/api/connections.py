"""§6 the `@connections` API: `POST /_emu/connections/{id}` pushes a frame, `DELETE` closes it."""

from __future__ import annotations

from aiohttp import web

from ..keys import AUTH, TRIGGERS
from ..triggers.websocket import WEBSOCKET, WebSocketTrigger
from .body import json_response

__all__ = ["routes"]

routes = web.RouteTableDef()


def _connections(request: web.Request) -> WebSocketTrigger:
    return request.app[TRIGGERS][WEBSOCKET]


@routes.post("/_emu/connections/{id}")
async def post_to_connection(request: web.Request) -> web.Response:
    """The body is the frame: text when its Content-Type (if any) is textual and it is UTF-8."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    connection_id = request.match_info["id"]
    data = await request.read()
    await _connections(request).push(connection_id, data, request.headers.get("Content-Type"))
    return json_response({"connectionId": connection_id, "sent": len(data)})


@routes.delete("/_emu/connections/{id}")
async def delete_connection(request: web.Request) -> web.Response:
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    connection_id = request.match_info["id"]
    await _connections(request).disconnect(connection_id)
    return json_response({"connectionId": connection_id, "closed": True})
