"""`GET /_emu/events/{kind}`: a ready event of one kind for one function, as `fnemu event` prints
it (events/kinds.py builds both), for the UI's invoke form and any other client.

With `function`, the event is made for it: its name and app, this server's host, the emulator
clock's now for a cron event, its s3_upload trigger's bucket and prefix, its webhook's first
source and secret. Test-invoke takes the event back as `{"event": ...}`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..errors import NotFound
from ..events.kinds import KINDS, EventFields, generate
from ..keys import AUTH, CLOCK, CONFIG, REGISTRY, TRIGGERS
from ..registry.registry import Function
from ..triggers.s3_upload import sample_object
from ..triggers.webhook import WEBHOOK
from .body import json_response

__all__ = ["routes"]

routes = web.RouteTableDef()
_SAMPLE_NAME = "hello.txt"
"""The object an s3 event tells of, below the function's trigger prefix."""


@routes.get("/_emu/events/{kind}")
async def sample_event(request: web.Request) -> web.Response:
    """The event; 404 naming `kind` (with the kinds there are) or `function` when unknown."""
    app = request.app
    app[AUTH].require_developer(request.headers.get("Authorization"))
    kind = request.match_info["kind"]
    if kind not in KINDS:
        raise NotFound(f"kind: no event kind {kind!r}; one of {', '.join(KINDS)}", "kind")
    config = app[CONFIG]
    values: dict[str, Any] = {"host": request.host, "region": config.region, "time": app[CLOCK].now()}
    name = request.query.get("function")
    if name:
        app_id = request.query.get("app_id") or config.app_id
        fn = app[REGISTRY].find(app_id, name)
        if fn is None:
            raise NotFound(f"function: {name!r} not found in app {app_id!r}", "function")
        values.update(app_id=app_id, function=name, **_from_triggers(request.app, fn))
    return json_response({"kind": kind, "event": generate(kind, EventFields(**values))})


def _from_triggers(app: web.Application, fn: Function) -> dict[str, Any]:
    """The fields the function's own triggers fix."""
    out: dict[str, Any] = {}
    spec = fn.current.spec
    s3 = spec.trigger("s3_upload")
    if s3 is not None:
        bucket, key, content_type = sample_object(s3.config, _SAMPLE_NAME)
        out.update(bucket=bucket, key=key)
        if content_type is not None:
            out["content_type"] = content_type
    hook = spec.trigger("webhook")
    secret = app[TRIGGERS][WEBHOOK].secret(fn) if hook is not None else None
    if hook is not None and secret is not None:
        out.update(secret=secret, source=hook.config["allowed_sources"].split(",")[0])
    return out
