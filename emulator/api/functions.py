"""§3 the Functions API: /v1/{app_id}/functions[/{name}[/invoke|/logs[/{id}/replay]|/env]]."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

import orjson
from aiohttp import web

from ..clock import parse_iso
from ..errors import BadRequest, Conflict, NotFound
from ..events.kinds import arrival
from ..events.request import HttpRequest
from ..invoke import Invocation
from ..keys import AUTH, INVOKER, LOGS, REGISTRY, TRIGGERS
from ..logstore import LogEntry
from ..registry.registry import Function
from ..registry.spec import parse_spec, validate_env_patch
from ..replay import replay, routed
from ..triggers.cron import CRON
from ..triggers.http import METHODS
from ..triggers.s3_upload import S3_UPLOAD
from ..triggers.webhook import WEBHOOK
from ..urls import function_path
from .body import json_response, read_json
from .query import query_bool, query_int, query_level

__all__ = ["routes"]

routes = web.RouteTableDef()


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _developer(request: web.Request) -> None:
    request.app[AUTH].require_developer(request.headers.get("Authorization"))


@routes.post("/v1/{app_id}/functions")
async def deploy(request: web.Request) -> web.Response:
    _developer(request)
    spec = parse_spec(await read_json(request))
    app_id, registry = request.match_info["app_id"], request.app[REGISTRY]
    _not_from_folder(registry.find(app_id, spec.name), "edit that file to change it, or deploy under another name")
    fn, created = await registry.deploy(app_id, spec)
    return json_response(request.app[TRIGGERS].function_json(fn, _base_url(request)), 201 if created else 200)


@routes.get("/v1/{app_id}/functions")
async def list_functions(request: web.Request) -> web.Response:
    _developer(request)
    base = _base_url(request)
    fns = request.app[REGISTRY].list(request.match_info["app_id"])
    return json_response({"functions": [request.app[TRIGGERS].function_json(fn, base) for fn in fns]})


@routes.get("/v1/{app_id}/functions/{name}")
async def get_function(request: web.Request) -> web.Response:
    _developer(request)
    fn = request.app[REGISTRY].get(request.match_info["app_id"], request.match_info["name"])
    return json_response(request.app[TRIGGERS].function_json(fn, _base_url(request), detail=True))


@routes.delete("/v1/{app_id}/functions/{name}")
async def delete_function(request: web.Request) -> web.Response:
    _developer(request)
    app_id, name, registry = request.match_info["app_id"], request.match_info["name"], request.app[REGISTRY]
    _not_from_folder(registry.get(app_id, name), "remove that file to delete it")
    registry.delete(app_id, name)
    return json_response({"name": name, "deleted": True})


def _not_from_folder(fn: Function | None, instead: str) -> None:
    """A folder function belongs to its file: an API change would be undone by the next save."""
    file = None if fn is None else fn.defined_by()
    if fn is not None and file is not None:
        raise Conflict(f"name: {fn.name!r} is defined by the functions folder ({file}); {instead}", "name")


@routes.patch("/v1/{app_id}/functions/{name}/env")
async def patch_env(request: web.Request) -> web.Response:
    _developer(request)
    registry = request.app[REGISTRY]
    app_id, name = request.match_info["app_id"], request.match_info["name"]
    registry.get(app_id, name)
    patch = validate_env_patch(await read_json(request))
    fn = await registry.set_env(app_id, name, patch)
    return json_response({"envVars": sorted(fn.current.env)})


@routes.post("/v1/{app_id}/functions/{name}/invoke")
async def test_invoke(request: web.Request) -> web.Response:
    """Runs the function with a described request, or with the event one of its triggers would
    hand it (`trigger`), whatever its triggers; the envelope tells all."""
    _developer(request)
    app_id, name = request.match_info["app_id"], request.match_info["name"]
    fn = request.app[REGISTRY].get(app_id, name)
    described = await read_json(request, default={})
    trigger = _event_trigger(described)
    if trigger is not None:
        triggers = request.app[TRIGGERS]
        sample = triggers[CRON].sample_event(fn) if trigger == "cron" else triggers[S3_UPLOAD].sample_event(fn)
        inv = await request.app[INVOKER].invoke_event(fn, trigger, sample, logged_as="invoke")
        return json_response(envelope(inv))
    if isinstance(described, dict) and "event" in described:
        if len(described) > 1:
            raise BadRequest("event: an event goes as it is, without method, path, headers, query or body",
                             "event")
        came = arrival(described["event"], host=request.host, full_path=function_path(app_id, name))
        req, event = came.request, came.event
    else:
        req, event = _described_request(described, function_path(app_id, name), request), None
    if event is None:
        req = routed(fn, req)
    inv = await request.app[INVOKER].invoke(fn, req, "invoke", event=event)
    return json_response(envelope(inv))


@routes.post("/v1/{app_id}/functions/{name}/logs/{id}/replay")
async def replay_invocation(request: web.Request) -> web.Response:
    """Runs a logged invocation again against the current version (CONTRACT §13)."""
    _developer(request)
    fn = request.app[REGISTRY].get(request.match_info["app_id"], request.match_info["name"])
    entry_id = request.match_info["id"]
    entry = fn.log.find(entry_id)
    if entry is None:
        raise NotFound(f"id: function {fn.name!r} has no log entry {entry_id!r}", "id")
    inv = await replay(entry, fn, request.app[INVOKER], request.app[TRIGGERS][WEBHOOK])
    return json_response(envelope(inv))


def envelope(inv: Invocation) -> dict[str, Any]:
    """The test-invoke envelope (CONTRACT §4); binary bodies are base64 with isBase64Encoded."""
    try:
        body, b64 = inv.body.decode("utf-8"), False
    except UnicodeDecodeError:
        body, b64 = base64.b64encode(inv.body).decode("ascii"), True
    headers: dict[str, str] = {}
    for key, value in inv.headers:
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return {
        "id": inv.id,
        "status_code": inv.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": b64,
        "duration_ms": inv.duration_ms,
        "memory_mb": inv.memory_mb,
        "error": inv.error,
        "consoleLogs": LogEntry.format_console(inv.console),
    }


_EVENT_TRIGGERS = ("cron", "s3_upload")
_REQUEST_FIELDS = ("method", "path", "headers", "query", "body")


def _event_trigger(described: Any) -> str | None:
    """The trigger whose event a test-invoke body asks for (`trigger`), None for the default
    `http`: the described request. An event is built whole, so the request fields go with http only."""
    if not isinstance(described, dict):
        return None
    trigger = described.pop("trigger", None)
    if trigger is None or trigger == "http":
        return None
    if trigger not in _EVENT_TRIGGERS:
        raise BadRequest(f"trigger: must be one of http, {', '.join(_EVENT_TRIGGERS)}", "trigger")
    extra = next(iter(described), None)
    if extra is not None:
        raise BadRequest(f"{extra}: describes an http request; a {trigger} event is built from the function's "
                         f"{trigger} trigger" if extra in _REQUEST_FIELDS else f"{extra}: unknown field", extra)
    return str(trigger)


def _described_request(described: Any, prefix: str, request: web.Request) -> HttpRequest:
    if not isinstance(described, dict):
        raise BadRequest("body: must be a JSON object {method, path, headers, query, body}", "body")
    for key in described:
        if key not in _REQUEST_FIELDS:
            raise BadRequest(f"{key}: unknown field; allowed: trigger, {', '.join(_REQUEST_FIELDS)} (or event)", key)
    method = described.get("method", "POST")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise BadRequest(f"method: must be one of {', '.join(METHODS)}", "method")
    path = described.get("path", "/")
    if not isinstance(path, str) or not path.startswith("/"):
        raise BadRequest('path: must be a string starting with "/"', "path")
    headers = {} if described.get("headers") is None else described["headers"]
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise BadRequest("headers: must be an object of name: string", "headers")
    query = {} if described.get("query") is None else described["query"]
    if not isinstance(query, dict):
        raise BadRequest("query: must be an object of name: string or list of strings", "query")
    pairs: list[tuple[str, str]] = []
    for key, value in query.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str) for v in values):
            raise BadRequest(f"query.{key}: must be a string or a list of strings", f"query.{key}")
        pairs.extend((key, v) for v in values)
    header_pairs = list(headers.items())
    body: bytes = b""
    if "body" in described and described["body"] is not None:
        raw = described["body"]
        if isinstance(raw, str):
            body = raw.encode()
        else:
            body = orjson.dumps(raw)
            if not any(k.lower() == "content-type" for k in headers):
                header_pairs.append(("Content-Type", "application/json"))
    return HttpRequest(
        method=method.upper(), path=path, full_path=prefix + ("" if path == "/" else path),
        query=tuple(pairs), raw_query=urlencode(pairs), headers=tuple(header_pairs), body=body,
        source_ip=request.remote or "127.0.0.1", host=request.host,
    )


@routes.get("/v1/{app_id}/functions/{name}/logs")
async def logs(request: web.Request) -> web.Response:
    _developer(request)
    app_id, name = request.match_info["app_id"], request.match_info["name"]
    q = request.query
    limit = query_int(q, "limit", 50, 1, 1000)
    since = None
    if q.get("since"):
        try:
            since = parse_iso(q["since"])
        except ValueError:
            raise BadRequest("since: must be an ISO 8601 date or date-time, e.g. 2026-01-01T00:00:00Z",
                             "since") from None
    errors_only = query_level(q)
    include_deleted = query_bool(q, "include_deleted")
    store = request.app[LOGS]
    if request.app[REGISTRY].find(app_id, name) is None and not (
        include_deleted and store.has_deleted(app_id, name)
    ):
        hint = "" if include_deleted else " (deleted functions' logs need include_deleted=true)"
        raise NotFound(f"function {name!r} not found in app {app_id!r}{hint}", "name")
    entries = store.query(app_id, name, limit=limit, since=since, errors_only=errors_only,
                          include_deleted=include_deleted)
    return json_response({"logs": [e.to_json() for e in entries]})
