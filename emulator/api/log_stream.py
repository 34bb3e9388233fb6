"""`GET /v1/{app_id}/functions/{name}/logs/stream`: recent entries, then each new one as it
happens, one JSON object per line (what `fnemu logs --follow` reads)."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
from aiohttp import web

from ..keys import AUTH, LOGS, REGISTRY
from ..logstore import LogEntry
from .query import query_int, query_level

__all__ = ["pump", "setup"]

routes = web.RouteTableDef()
_HEARTBEAT_SECONDS = 15.0
_QUEUE_BOUND = 10_000
_STREAMS: web.AppKey[set[asyncio.Task[object]]] = web.AppKey("LOG_STREAMS", set)


@routes.get("/v1/{app_id}/functions/{name}/logs/stream")
async def stream_logs(request: web.Request) -> web.StreamResponse:
    request.app[AUTH].require_developer(request.headers.get("Authorization"))
    app_id, name = request.match_info["app_id"], request.match_info["name"]
    request.app[REGISTRY].get(app_id, name)
    errors_only = query_level(request.query)
    backlog = query_int(request.query, "limit", 10, 0, 1000)

    store = request.app[LOGS]
    queue: asyncio.Queue[bytes] = asyncio.Queue(_QUEUE_BOUND)

    def listen(entry: LogEntry) -> None:
        if entry.app_id == app_id and entry.function == name and (entry.failed or not errors_only):
            with contextlib.suppress(asyncio.QueueFull):
                queue.put_nowait(orjson.dumps(entry.to_json()) + b"\n")

    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson", "Cache-Control": "no-cache"})
    await response.prepare(request)
    recent = store.query(app_id, name, limit=backlog, errors_only=errors_only) if backlog else []
    for entry in reversed(recent):
        await response.write(orjson.dumps(entry.to_json()) + b"\n")
    store.listeners.append(listen)
    try:
        await pump(request, response, queue)
    finally:
        store.listeners.remove(listen)
    return response


async def pump(request: web.Request, response: web.StreamResponse, queue: asyncio.Queue[bytes]) -> None:
    """Write each queued line as it comes, a blank line after 15 s of quiet, until the client
    goes or the emulator stops (then the stream is ended at once, not waited for)."""
    streams = request.app[_STREAMS]
    task = asyncio.current_task()
    assert task is not None
    streams.add(task)
    try:
        while True:
            try:
                line = await asyncio.wait_for(queue.get(), _HEARTBEAT_SECONDS)
            except TimeoutError:
                await response.write(b"\n")
                continue
            await response.write(line)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        streams.discard(task)


async def _close_streams(app: web.Application) -> None:
    """On shutdown: end open streams now instead of waiting for their clients."""
    streams = app[_STREAMS]
    for task in list(streams):
        task.cancel()


def setup(app: web.Application) -> None:
    app[_STREAMS] = set()
    app.add_routes(routes)
    app.on_shutdown.append(_close_streams)
