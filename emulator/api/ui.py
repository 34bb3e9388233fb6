"""The UI at `/_emu/ui`: its static files (shipped in the package, public: they hold no data; the
page is also at `/_emu/ui/login`, where a login link opens it), and the two reads it needs beyond
the API: `/_emu/overview` (every function's metrics and recent durations) and `/_emu/events` (a
live stream of log entries, folder reports and approvals)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web

from ..errors import NotFound
from ..events.kinds import KINDS
from ..keys import APPROVALS, AUTH, CONFIG, FOLDER, LOGS, REGISTRY
from ..logstore import LogEntry
from .body import json_response
from .log_stream import pump
from .login_links import LOGIN_PAGE

__all__ = ["setup"]

routes = web.RouteTableDef()
UI_DIR = Path(__file__).resolve().parent.parent / "ui"
_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
_RECENT = 30
"""Durations per function the overview hands out: the functions page's sparklines."""
_QUEUE_BOUND = 10_000


def _asset(name: str) -> web.FileResponse:
    path = UI_DIR / name
    if "/" in name or name.startswith(".") or path.suffix not in _TYPES or not path.is_file():
        raise NotFound(f"asset: the UI has no file {name!r}", "asset")
    return web.FileResponse(path, headers={"Content-Type": _TYPES[path.suffix] + "; charset=utf-8",
                                           "Cache-Control": "no-cache"})


@routes.get("/_emu/ui")
async def index(request: web.Request) -> web.FileResponse:
    """The single page; it asks for the developer token and keeps it for the browser session."""
    return _asset("index.html")


@routes.get(LOGIN_PAGE)
async def login_page(request: web.Request) -> web.FileResponse:
    """The same page: it trades the link's `code` for the token (login_links.py)."""
    return _asset("index.html")


@routes.get("/_emu/ui/{asset}")
async def asset(request: web.Request) -> web.FileResponse:
    return _asset(request.match_info["asset"])


@routes.get("/_emu/overview")
async def overview(request: web.Request) -> web.Response:
    """Every function's metrics and its recent durations (oldest first), the folder's open load
    errors, and the kinds of ready event `GET /_emu/events/{kind}` makes."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    logs = request.app[LOGS]
    out: list[dict[str, Any]] = []
    for fn in sorted(request.app[REGISTRY].all(), key=lambda f: (f.app_id, f.name)):
        recent = logs.query(fn.app_id, fn.name, limit=_RECENT)
        out.append({"app_id": fn.app_id, "name": fn.name, "metrics": fn.log.metrics(),
                    "recent_ms": [e.duration_ms for e in reversed(recent)]})
    return json_response({"app_id": request.app[CONFIG].app_id, "functions": out,
                          "folder_errors": _errors(request.app), "event_kinds": list(KINDS)})


def _errors(app: web.Application) -> list[dict[str, str]]:
    return [{"function": name, "message": message} for name, message in sorted(app[FOLDER].errors.items())]


@routes.get("/_emu/events")
async def events(request: web.Request) -> web.StreamResponse:
    """One JSON object per line, as things happen: `log` (a new entry, with its `app_id`), `folder`
    (a deploy, reload, delete or load error of the folder, with the open errors after it) and
    `approvals` (a call now awaits approval). A blank line every 15 s keeps it open."""
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    app = request.app
    queue: asyncio.Queue[bytes] = asyncio.Queue(_QUEUE_BOUND)

    def put(event: dict[str, Any]) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(orjson.dumps(event) + b"\n")

    def on_log(entry: LogEntry) -> None:
        put({"type": "log", "entry": {"app_id": entry.app_id, **entry.to_json()}})

    def on_folder(kind: str, name: str, message: str) -> None:
        put({"type": "folder", "kind": kind, "function": name, "message": message, "errors": _errors(app)})

    def on_approval(_: object) -> None:
        put({"type": "approvals"})

    hooks: list[tuple[list[Any], Any]] = [(app[LOGS].listeners, on_log), (app[FOLDER].listeners, on_folder),
                                          (app[APPROVALS].listeners, on_approval)]
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson", "Cache-Control": "no-cache"})
    await response.prepare(request)
    await response.write(orjson.dumps({"type": "hello", "errors": _errors(app)}) + b"\n")
    for listeners, hook in hooks:
        listeners.append(hook)
    try:
        await pump(request, response, queue)
    finally:
        for listeners, hook in hooks:
            listeners.remove(hook)
    return response


def setup(app: web.Application) -> None:
    app.add_routes(routes)
