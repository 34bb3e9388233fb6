"""§8 `POST /v1/action/serverless_function`: the seed 000 action, answered in its own envelope
`{"status", "response"}`, errors included."""

from __future__ import annotations

from aiohttp import web

from ..agents.action import ACTION_PATH, action_error, parse_action
from ..errors import ApiError
from ..keys import ACTIONS, AUTH
from .body import json_response, read_json
from .middleware import from_http_exception

__all__ = ["routes"]

routes = web.RouteTableDef()


@routes.post(ACTION_PATH)
async def serverless_function(request: web.Request) -> web.Response:
    try:
        request.app[AUTH].require_developer(request.headers.get("Authorization"))
        try:
            action = parse_action(await read_json(request))
        except web.HTTPException as exc:
            error = from_http_exception(exc, request)
            if error is None:
                raise
            raise error from None
        status, answer = await request.app[ACTIONS].run(action)
    except ApiError as exc:
        return json_response(action_error(exc), exc.status, exc.headers())
    return json_response(answer, status)
