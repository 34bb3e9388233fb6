"""§9 agent tools: /v1/{app_id}/agent-tools[/{name}/call], and /_emu/approvals for read_write ones."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..agents.tools import call_tool, caller_kind, find_tool, tool_json, tools
from ..errors import BadRequest, Conflict
from ..keys import APPROVALS, AUTH, INVOKER, REGISTRY
from .auth import Identity
from .body import json_response, read_json
from .functions import envelope

__all__ = ["routes"]

routes = web.RouteTableDef()


def _caller(request: web.Request) -> Identity:
    """The developer token or a valid end-user token; 401 with the reason otherwise."""
    identity = request.app[AUTH].identify(request.headers.get("Authorization"))
    if identity.kind == "anonymous":
        raise identity.unauthorized("agent tools need the developer token or a valid end-user token")
    return identity


@routes.get("/v1/{app_id}/agent-tools")
async def list_tools(request: web.Request) -> web.Response:
    """The tools this caller may call: all of them for the developer token, `end_user` ones for
    an end-user token."""
    identity = _caller(request)
    found = tools(request.app[REGISTRY], request.match_info["app_id"], identity)
    return json_response({"tools": [tool_json(fn) for fn in found]})


def _only(body: Any, key: str, shape: str) -> Any:
    """The one field of a body that has only `key` (None when absent)."""
    if not isinstance(body, dict):
        raise BadRequest(f"body: must be a JSON object {shape}", "body")
    for field in body:
        if field != key:
            raise BadRequest(f"{field}: unknown field; the body is {shape}", field)
    return body.get(key)


async def _input(request: web.Request) -> Any:
    value = _only(await read_json(request, default={}), "input", '{"input": {...}}')
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest("input: must be an object (the tool's arguments)", "input")
    return value


@routes.post("/v1/{app_id}/agent-tools/{name}/call")
async def call(request: web.Request) -> web.Response:
    """A read_only tool runs now (the envelope); a read_write one waits for approval (202)."""
    identity = _caller(request)
    app_id, name = request.match_info["app_id"], request.match_info["name"]
    fn = find_tool(request.app[REGISTRY], app_id, name, identity)
    input_ = await _input(request)
    authorization = request.headers.get("Authorization")
    if fn.current.spec.agent_tool_mode == "read_write":
        held = request.app[APPROVALS].hold(app_id, name, input_, caller_kind(identity), authorization,
                                           identity.claims)
        return json_response({"approval_id": held.id}, 202)
    inv = await call_tool(request.app[INVOKER], fn, input_, caller=caller_kind(identity),
                          authorization=authorization, claims=identity.claims)
    return json_response(envelope(inv))


def _developer(request: web.Request) -> None:
    request.app[AUTH].require_developer(request.headers.get("Authorization"))


@routes.get("/_emu/approvals")
async def list_approvals(request: web.Request) -> web.Response:
    _developer(request)
    return json_response({"approvals": [a.to_json() for a in request.app[APPROVALS].pending()]})


@routes.post("/_emu/approvals/{id}")
async def decide(request: web.Request) -> web.Response:
    """`{"approve": true}` runs the held call once (its envelope); false rejects it."""
    _developer(request)
    approve = _only(await read_json(request), "approve", '{"approve": true|false}')
    if not isinstance(approve, bool):
        raise BadRequest("approve: required, true or false", "approve")
    approval = request.app[APPROVALS].decide(request.match_info["id"], approve)
    if not approve:
        return json_response({"approval_id": approval.id, "status": "rejected"})
    fn = request.app[REGISTRY].find(approval.app_id, approval.function)
    if fn is None or not fn.current.spec.agent_tool:
        raise Conflict(f"id: approval {approval.id}: the tool {approval.function!r} was deleted or is no longer "
                       "an agent tool; the call did not run", "id")
    inv = await call_tool(request.app[INVOKER], fn, approval.input, caller=approval.caller,
                          authorization=approval.authorization, claims=approval.claims,
                          approval_id=approval.id)
    return json_response(envelope(inv))
