"""§6 websocket: the open WebSocket connections of functions, each frame one invocation.

A connection opens with `$connect` (a 2xx answer accepts it, anything else refuses the upgrade with
that answer, as API Gateway does), runs one invocation per text or binary frame and sends each
answer's body back as a frame, and ends with `$disconnect`. Frames run at once (on as many workers
as the pool gives) but their replies leave in the order the frames came: each reply waits for the
one before it. The `@connections` API (`api/connections.py`) pushes to and closes connections by id.

Connections the emulator itself ends (the function deleted or its websocket trigger removed, a
reset, shutdown) close with 1001 and without `$disconnect`: the function, or its worker, is gone.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import WSCloseCode, WSMsgType, web

from ..errors import BadRequest, Gone, NotFound
from ..events.apigw import MalformedResponse
from ..events.request import HttpRequest, is_text
from ..events.websocket import (
    CONNECTION_HEADER,
    Peer,
    Route,
    connect_event,
    disconnect_event,
    Reply,
    error_frame,
    http_reply,
    lambda_reply,
    message_event,
    socket_request,
)
from .base import TriggerContext, TriggerService

if TYPE_CHECKING:
    from ..invoke import Invocation
    from ..registry.registry import Function

__all__ = ["WebSocketService", "auth_required", "validate", "websocket_service"]

_log = logging.getLogger("fnemu.websocket")
_FIELDS = ("auth",)
_IN_FLIGHT = 64
"""Frames of one connection running or awaiting their turn to reply; past it the connection is
not read until one is done (TCP pushes back on the client)."""
_CLOSE_WAIT_S = 2.0
"""How long a close waits for the client's own close frame."""
_ENDS = frozenset({WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR})
_GONE_KEPT = 10_000
"""Closed connection ids remembered to answer 410 rather than 404."""


def validate(config: Mapping[str, Any], field: str) -> dict[str, Any]:
    """The config with defaults filled in: `auth` is the http trigger's rule, checked on the upgrade."""
    for key in config:
        if key not in _FIELDS:
            raise BadRequest(f"{field}.{key}: unknown websocket trigger field; allowed: auth", f"{field}.{key}")
    auth = config.get("auth", "required")
    if auth not in ("required", "none"):
        raise BadRequest(f"{field}.auth: must be \"required\" or \"none\"", f"{field}.auth")
    return {"auth": auth}


def auth_required(fn: Function) -> bool | None:
    """Whether the function's websocket upgrade needs a token; None when it has no websocket trigger."""
    trigger = fn.current.spec.trigger("websocket")
    return None if trigger is None else trigger.config.get("auth", "required") == "required"


def _new_id() -> str:
    """API Gateway's id form (16 URL-safe characters): connection, request and message ids."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode("ascii")


@dataclass(slots=True)
class _Connection:
    peer: Peer
    fn: Function
    ws: web.WebSocketResponse
    quiet: bool = False
    """Closed by the emulator: no `$disconnect`, and no frame starts an invocation."""
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(_IN_FLIGHT))
    close_code: int | None = None
    """The code of a close the server made on a protocol error (aiohttp then reports the client's)."""
    close_reason: str = ""


class WebSocketService:
    """The open connections, by id; a TriggerService, so deletes, resets and shutdown close them."""

    type: ClassVar[str] = "websocket"

    def __init__(self, context: TriggerContext) -> None:
        self._context = context
        self._open: dict[str, _Connection] = {}
        self._gone: OrderedDict[str, None] = OrderedDict()
        self._closing: set[asyncio.Task[None]] = set()

    # -- the registry and the server's life

    def attached(self, fn: Function) -> None:
        """An update that drops the websocket trigger closes the function's connections; one that
        keeps it leaves them open, and their next frames run the new version."""
        if auth_required(fn) is None:
            self.detached(fn)

    def detached(self, fn: Function) -> None:
        for conn in list(self._open.values()):
            if conn.fn.app_id == fn.app_id and conn.fn.name == fn.name:
                task = asyncio.get_running_loop().create_task(self._shut(conn, "function removed"))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def start(self) -> None:
        """Nothing to arm: connections arrive through `/fn/` upgrades."""

    async def reset(self) -> None:
        await self.close()

    async def close(self) -> None:
        """Every open socket closed at once (1001), so a stop never waits for clients."""
        await asyncio.gather(*(self._shut(conn, "server going away") for conn in list(self._open.values())))

    async def _shut(self, conn: _Connection, reason: str) -> None:
        conn.quiet = True
        await conn.ws.close(code=WSCloseCode.GOING_AWAY, message=reason.encode())

    # -- the @connections API

    def _get(self, connection_id: str) -> _Connection:
        conn = self._open.get(connection_id)
        if conn is None or conn.ws.closed:
            if conn is not None or connection_id in self._gone:
                raise Gone(f"connection {connection_id!r} is closed", "id")
            raise NotFound(f"no connection {connection_id!r}", "id")
        return conn

    async def push(self, connection_id: str, data: bytes, content_type: str | None) -> None:
        """One frame to the client: text when the data is text, binary otherwise."""
        ws = self._get(connection_id).ws
        try:
            if is_text(data, content_type):
                await ws.send_str(data.decode("utf-8"))
            else:
                await ws.send_bytes(data)
        except ConnectionResetError:
            raise Gone(f"connection {connection_id!r} is closed", "id") from None

    async def disconnect(self, connection_id: str) -> None:
        """Close the connection (1000); its function gets `$disconnect`."""
        await self._get(connection_id).ws.close(code=WSCloseCode.OK, message=b"closed by the @connections API")

    # -- a connection's life

    async def serve(self, request: web.Request, fn: Function, upgrade: HttpRequest) -> web.StreamResponse | Invocation:
        """Run one connection to its end; the `$connect` invocation instead when it refused."""
        config = self._context.config
        ws = web.WebSocketResponse(max_msg_size=config.max_body_bytes, heartbeat=config.websocket_heartbeat_s,
                                   timeout=_CLOSE_WAIT_S)
        if not ws.can_prepare(request).ok:
            raise BadRequest("not a WebSocket upgrade: send GET with Upgrade: websocket and "
                             "Sec-WebSocket-Key/Version", "Upgrade")
        peer = Peer(connection_id=_new_id(), app_id=fn.app_id, path=upgrade.path, full_path=upgrade.full_path,
                    host=upgrade.host, source_ip=upgrade.source_ip, user_agent=upgrade.header("user-agent"),
                    connected_at=self._context.clock.now())
        inv, reply = await self._invoke(fn, peer, "connect", upgrade=upgrade)
        if reply is None or not 200 <= reply.status < 300:
            return inv if reply is None else replace(inv, status=reply.status, headers=reply.headers, body=reply.body)
        ws.headers[CONNECTION_HEADER] = peer.connection_id
        await ws.prepare(request)
        conn = _Connection(peer, fn, ws)
        self._open[peer.connection_id] = conn
        try:
            await self._receive(conn)
        finally:
            del self._open[peer.connection_id]
            self._gone[peer.connection_id] = None
            if len(self._gone) > _GONE_KEPT:
                self._gone.popitem(last=False)
        if not conn.quiet:
            code = conn.close_code or ws.close_code or WSCloseCode.ABNORMAL_CLOSURE
            await self._invoke(fn, peer, "disconnect", code=int(code), reason=conn.close_reason)
        return ws

    async def _receive(self, conn: _Connection) -> None:
        """Read frames until the socket closes; return when every frame's reply has gone out."""
        last: asyncio.Task[None] | None = None
        while True:
            msg = await conn.ws.receive()
            if msg.type is WSMsgType.TEXT:
                data, binary = msg.data.encode("utf-8"), False
            elif msg.type is WSMsgType.BINARY:
                data, binary = msg.data, True
            elif msg.type in _ENDS:
                if msg.type is WSMsgType.CLOSE:
                    conn.close_reason = msg.extra or ""
                elif msg.type is WSMsgType.ERROR:  # a frame over the limit (1009), bad UTF-8 (1007)
                    conn.close_code, conn.close_reason = getattr(msg.data, "code", None), str(msg.data)
                break
            else:
                continue
            await conn.slots.acquire()
            last = asyncio.create_task(self._frame(conn, data, binary, last))
        if last is not None:
            await asyncio.wait([last])

    async def _frame(self, conn: _Connection, data: bytes, binary: bool, before: asyncio.Task[None] | None) -> None:
        """One frame: invoke, wait for the previous frame's reply, send this one's."""
        try:
            frame: str | bytes | None = None
            if not conn.quiet:
                inv, reply = await self._invoke(conn.fn, conn.peer, "message", data, binary=binary)
                if reply is None:
                    frame = error_frame(inv.failure or "function_error", inv.public_error(), status=inv.status,
                                        invocation_id=inv.id)
                else:
                    frame = reply.frame()
            if before is not None:
                await asyncio.wait([before])
            if frame is not None and not conn.ws.closed:
                await (conn.ws.send_str(frame) if isinstance(frame, str) else conn.ws.send_bytes(frame))
        except ConnectionResetError:
            pass  # the client left while its reply was on the way
        except Exception:
            _log.exception("websocket frame on %s failed", conn.peer.connection_id)
        finally:
            conn.slots.release()

    async def _invoke(self, fn: Function, peer: Peer, route: Route, data: bytes = b"", *, binary: bool = False,
                      upgrade: HttpRequest | None = None, code: int | None = None, reason: str = "",
                      ) -> tuple[Invocation, Reply | None]:
        """One invocation through the one invoke path, and the function's reply; None for a
        failure. A `lambda` result is read as API Gateway reads one."""
        now = self._context.clock.now()
        request_id = _new_id()
        if route == "connect":
            assert upgrade is not None
            event = connect_event(peer, upgrade, request_id=request_id, now=now)
        elif route == "message":
            event = message_event(peer, data, binary=binary, request_id=request_id, now=now)
        else:
            event = disconnect_event(peer, code=code or 0, reason=reason, request_id=request_id, now=now)
        request = socket_request(peer, route, data, binary=binary, upgrade=upgrade, close_code=code)
        lambda_style = fn.current.spec.runtime == "lambda"
        inv = await self._context.invoker.invoke(fn, request, "websocket", event=event)
        if inv.failure is not None:
            return inv, None
        if not lambda_style:
            return inv, http_reply(inv.status, inv.headers, inv.body)
        try:
            return inv, lambda_reply(inv.body)
        except MalformedResponse as exc:
            inv.status, inv.failure, inv.error = 502, "bad_response", str(exc)
            return inv, None


def websocket_service(services: Iterable[TriggerService]) -> WebSocketService:
    """The emulator's WebSocket connections among its trigger services."""
    return next(s for s in services if isinstance(s, WebSocketService))
