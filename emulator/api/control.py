"""§7 the control API under /_emu: health, the OpenAPI file, end-user tokens, the clock, cron, S3,
log entries by id."""

from __future__ import annotations

import math
from itertools import islice
from pathlib import Path
from typing import Any

from aiohttp import web

from .. import __version__
from ..clock import MAX_MOVE_SECONDS, iso, parse_iso
from ..errors import BadRequest, Conflict, NotFound
from ..keys import APPROVALS, AUTH, CLOCK, LOADER, LOGS, REGISTRY, TRIGGERS
from ..triggers.cron import CRON, CronTrigger, Fire
from ..triggers.s3_upload import S3_UPLOAD
from .auth import ALGORITHM, ISSUER
from .body import json_response, read_json
from .functions import envelope
from .query import query_int

__all__ = ["routes"]

routes = web.RouteTableDef()
_OPENAPI = Path(__file__).resolve().parent.parent / "openapi.yaml"
NEXT_FIRES = 5
"""How many fires of each cron `GET /_emu/clock` lists unless asked (`fires`)."""


@routes.get("/_emu/health")
async def health(request: web.Request) -> web.Response:
    """Public, like a load balancer's probe: no token, and nothing in it a token would guard."""
    return json_response({"status": "ok", "version": __version__})


@routes.get("/_emu/openapi.yaml")
async def openapi(request: web.Request) -> web.Response:
    return web.Response(body=_OPENAPI.read_bytes(), content_type="application/yaml")


_TOKEN_FIELDS = ("sub", "claims", "ttl", "expiresIn")


@routes.post("/_emu/tokens")
async def issue_token(request: web.Request) -> web.Response:
    """An end-user JWT; `ttl` (seconds, default 3600) or its older name `expiresIn`, not both."""
    auth = request.app[AUTH]
    auth.require_developer(request.headers.get("Authorization"))
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest("body: must be a JSON object {sub, claims, ttl}", "body")
    for key in body:
        if key not in _TOKEN_FIELDS:
            raise BadRequest(f"{key}: unknown field; allowed: sub, claims, ttl (or expiresIn)", key)
    if "ttl" in body and "expiresIn" in body:
        raise BadRequest("expiresIn: the older name of ttl; give one of them", "expiresIn")
    ttl_field = "expiresIn" if "expiresIn" in body else "ttl"
    token = auth.issue(body.get("sub"), body.get("claims"), body.get(ttl_field, 3600), ttl_field)
    return json_response({"token": token})


@routes.get("/_emu/auth")
async def auth_info(request: web.Request) -> web.Response:
    """How end-user tokens are signed: public, but the secret only to the developer token."""
    auth = request.app[AUTH]
    info = {"issuer": ISSUER, "algorithm": ALGORITHM}
    if auth.caller(request.headers.get("Authorization")) == "developer":
        info["secret"] = auth.secret
    return json_response(info)


@routes.post("/_emu/reset")
async def reset(request: web.Request) -> web.Response:
    """Back to a fresh start: API-deployed functions and every log entry go, the clock returns."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    request.app[REGISTRY].delete_where("api")
    request.app[LOGS].clear()
    for fn in request.app[REGISTRY].all():
        fn.log = request.app[LOGS].open(fn.app_id, fn.name)
    request.app[CLOCK].reset()
    request.app[APPROVALS].clear()
    loader = request.app.get(LOADER)
    if loader is not None:
        await loader.load_all()
    await request.app[TRIGGERS].reset()
    return json_response({"status": "ok"})


def _cron(request: web.Request) -> CronTrigger:
    return request.app[TRIGGERS][CRON]


async def _body_field(request: web.Request, key: str, shape: str) -> Any:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest(f"body: must be a JSON object {shape}", "body")
    for field in body:
        if field != key:
            raise BadRequest(f"{field}: unknown field; the body is {shape}", field)
    if key not in body:
        raise BadRequest(f"{key}: required; the body is {shape}", key)
    return body[key]


def _moved(request: web.Request, fires: list[Fire]) -> web.Response:
    return json_response({
        "now": iso(request.app[CLOCK].now()),
        "fired": [f.to_json() for f in fires if f.status is not None],
        "skipped": [f.to_json() for f in fires if f.status is None],
    })


@routes.get("/_emu/clock")
async def clock_show(request: web.Request) -> web.Response:
    """Now, and each cron function's next fire, soonest first, with its next `fires` (5) fires."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    clock = request.app[CLOCK]
    count = query_int(request.query, "fires", NEXT_FIRES, 1, 100)
    upcoming = [{"app_id": fn.app_id, "function": fn.name, "scheduledTime": iso(due),
                 "schedule": schedule.expression, "timezone": schedule.zone.key,
                 "fires": [iso(due), *map(iso, islice(schedule.after(due), count - 1))]}
                for fn, schedule, due in _cron(request).upcoming()]
    return json_response({"now": iso(clock.now()), "frozen": clock.frozen, "next": upcoming})


@routes.post("/_emu/clock/advance")
async def clock_advance(request: web.Request) -> web.Response:
    """Move the clock forward, firing every occurrence in the window in order; answer when done."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    seconds = await _body_field(request, "seconds", '{"seconds": N}')
    if (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds)
            or not 0 < seconds <= MAX_MOVE_SECONDS):
        raise BadRequest(f"seconds: must be a number greater than 0 and at most {MAX_MOVE_SECONDS} (ten years)",
                         "seconds")
    return _moved(request, await _cron(request).advance(seconds))


@routes.post("/_emu/clock/set")
async def clock_set(request: web.Request) -> web.Response:
    """Jump to a time: forward fires what it passes (as an advance), backward fires nothing."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    text = await _body_field(request, "time", '{"time": "2026-01-01T09:00:00Z"}')
    try:
        ts = parse_iso(text) if isinstance(text, str) else None
    except ValueError:
        ts = None
    if ts is None or ts < 0:
        raise BadRequest("time: must be an ISO 8601 date-time after 1970, e.g. 2026-01-01T09:00:00Z", "time")
    if ts - request.app[CLOCK].now() > MAX_MOVE_SECONDS:
        raise BadRequest("time: at most ten years ahead of the emulator clock", "time")
    return _moved(request, await _cron(request).set_time(ts))


@routes.post("/_emu/clock/reset")
async def clock_reset(request: web.Request) -> web.Response:
    """Back to where `fnemu start` set it (the wall clock, or the `--clock frozen=ISO` instant);
    fires nothing, and schedules every cron from there."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    await _cron(request).reset_clock()
    clock = request.app[CLOCK]
    return json_response({"now": iso(clock.now()), "frozen": clock.frozen})


@routes.post("/_emu/cron/{app_id}/{name}")
async def cron_fire(request: web.Request) -> web.Response:
    """Fire a function's cron trigger now; the answer is the invocation envelope."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    fn = request.app[REGISTRY].get(request.match_info["app_id"], request.match_info["name"])
    return json_response(envelope(await _cron(request).fire(fn)))


@routes.get("/_emu/s3")
async def s3_endpoint(request: web.Request) -> web.Response:
    """The fake S3's endpoint and keys, for any S3 client; starts it if nothing has yet."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    return json_response(await request.app[TRIGGERS][S3_UPLOAD].info())


@routes.get("/_emu/invocations/{id}")
async def invocation(request: web.Request) -> web.Response:
    """A live log entry found by its id alone, with its `app_id`: how `fnemu replay ID` finds the
    function whose replay route to call."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    entry_id = request.match_info["id"]
    entry = request.app[LOGS].find(entry_id)
    if entry is None:
        raise NotFound(f"id: no log entry {entry_id!r} of a deployed function", "id")
    return json_response({"app_id": entry.app_id, **entry.to_json()})
