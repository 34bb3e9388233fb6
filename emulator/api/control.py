"""§7 the control API under /_emu: health, the OpenAPI file, end-user tokens."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from .. import __version__
from ..errors import BadRequest
from ..keys import AUTH, CLOCK, LOADER, LOGS, REGISTRY, TRIGGER_SERVICES
from .body import json_response, read_json

__all__ = ["routes"]

routes = web.RouteTableDef()
_OPENAPI = Path(__file__).resolve().parent.parent / "openapi.yaml"


@routes.get("/_emu/health")
async def health(request: web.Request) -> web.Response:
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    return json_response({"status": "ok", "version": __version__})


@routes.get("/_emu/openapi.yaml")
async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=_OPENAPI.read_bytes(), content_type="application/yaml")


@routes.post("/_emu/tokens")
async def issue_token(request: web.Request) -> web.Response:
    auth = request.app[AUTH]
    auth.require_developer(request.headers.get("Authorization"))
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("body: must be a JSON object {sub, claims, expiresIn}", "body")
    for key in body:
        if key not in ("sub", "claims", "expiresIn"):
            raise BadRequest(f"{key}: unknown field; allowed: sub, claims, expiresIn", key)
    token = auth.issue(body.get("sub"), body.get("claims"), body.get("expiresIn", 3600))
    return json_response({"token": token})


@routes.post("/_emu/reset")
async def reset(request: web.Request) -> web.Response:
    """Back to a fresh start: API-deployed functions and every log entry go, the clock returns."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    request.app[REGISTRY].delete_where("api")
    request.app[LOGS].clear()
    for fn in request.app[REGISTRY].all():
        fn.log = request.app[LOGS].open(fn.app_id, fn.name)
    request.app[CLOCK].reset()
    loader = request.app.get(LOADER)
    if loader is not None:
        await loader.load_all()
    for service in request.app[TRIGGER_SERVICES]:
        await service.reset()
    return json_response({"status": "ok"})
