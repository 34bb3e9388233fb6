"""§6 websocket: the open WebSocket connections of functions, each frame one invocation.

A connection opens with `$connect` (a 2xx answer accepts it, anything else refuses the upgrade with
that answer, as API Gateway does), runs one invocation per text or binary frame and sends each
answer's body back as a frame, and ends with `$disconnect`. Frames run at once (on as many workers
as the pool gives) but their replies leave in the order the frames came: each reply waits for the
one before it. A frame refused because the function's queue is full (`--max-queue`) is answered
by an error frame with status 429 in its turn, and the connection stays open. The `@connections`
API (`api/connections.py`) pushes to and closes connections by id. The upgrade comes through `check`, which `api/fn.py` calls before the http trigger's.

Connections the emulator itself ends (the function deleted or its websocket trigger removed, a
reset, shutdown) close with 1001 and without `$disconnect`: the function, or its worker, is gone.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from ..errors import BadRequest, Gone, NotFound, TooManyRequests
from ..events.apigw import MalformedResponse
from ..events.request import HttpRequest, is_text, read_request
from ..events.websocket import (
    CONNECTION_HEADER,
    Peer,
    Reply,
    Route,
    connect_event,
    disconnect_event,
    error_frame,
    http_reply,
    lambda_reply,
    message_event,
    new_id,
    socket_request,
)
from ..urls import websocket_url
from .base import Deployed, Trigger, TriggerContext, TriggerType

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["WEBSOCKET", "WebSocketTrigger", "validate"]

_log = logging.getLogger("fnemu.websocket")
_FIELDS = ("auth",)
_IN_FLIGHT = 64
"""Frames of one connection running or awaiting their turn to reply; past it the connection is
not read until one is done (TCP pushes back on the client)."""
_CLOSE_WAIT_S = 2.0
"""How long a close waits for the client's own close frame."""
_SHUTDOWN_WAIT_S = 0.5
"""The same, when fnemu stops (it must stop within 2 s)."""
_NORMAL, _GOING_AWAY, _ABNORMAL = 1000, 1001, 1006
"""Close codes (RFC 6455 §7.4.1)."""
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


class _Invocation(Protocol):
    """What a connection reads of an `invoke.Invocation`."""

    id: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    failure: str | None

    def public_error(self) -> str: ...


@dataclass(frozen=True, slots=True)
class _Failed:
    """An invocation that failed (or whose answer was malformed), as its caller is told."""

    code: str
    message: str
    status: int
    invocation_id: str | None
    """None: refused before any code ran (429), no invocation to name."""

    def frame(self) -> str:
        return error_frame(self.code, self.message, status=self.status, invocation_id=self.invocation_id)


@dataclass(slots=True)
class _Connection:
    peer: Peer
    fn: Deployed
    ws: web.WebSocketResponse
    quiet: bool = False
    """Closed by the emulator: no `$disconnect`, and no frame starts an invocation."""
    slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(_IN_FLIGHT))
    close_code: int | None = None
    """The code of a close the server made on a protocol error (aiohttp then reports the client's)."""
    close_reason: str = ""


class WebSocketTrigger(Trigger):
    """The open connections, by id: upgrades come through `check`; deletes, resets and shutdown
    close them."""

    type: ClassVar[str] = "websocket"

    def __init__(self, context: TriggerContext) -> None:
        self._context = context
        self._open: dict[str, _Connection] = {}
        self._gone: OrderedDict[str, None] = OrderedDict()
        self._closing: set[asyncio.Task[None]] = set()

    # -- the registry and the server's life

    def attach(self, fn: Deployed) -> None:
        """An update that drops the websocket trigger closes the function's connections; one that
        keeps it leaves them open, and their next frames run the new version."""
        if fn.current.spec.trigger("websocket") is None:
            self.detach(fn)

    def detach(self, fn: Deployed) -> None:
        for conn in list(self._open.values()):
            if conn.fn.app_id == fn.app_id and conn.fn.name == fn.name:
                task = asyncio.get_running_loop().create_task(self._shut(conn, "function removed"))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    def render(self, fn: Deployed, base_url: str) -> dict[str, Any]:
        """The `ws://` URL clients connect to (any path below it works too)."""
        return {"url": websocket_url(base_url, fn.app_id, fn.name)}

    async def reset(self) -> None:
        await self.close()

    async def close(self) -> None:
        """Every open socket closed at once (1001); a client that has not answered the close
        within _SHUTDOWN_WAIT_S is cut off, so a stop never waits for clients."""
        shuts = asyncio.gather(*(self._shut(conn, "server going away") for conn in list(self._open.values())))
        try:
            await asyncio.wait_for(shuts, _SHUTDOWN_WAIT_S)
        except TimeoutError:
            pass  # each close was cancelled: aiohttp drops its connection

    async def _shut(self, conn: _Connection, reason: str) -> None:
        conn.quiet = True
        await conn.ws.close(code=_GOING_AWAY, message=reason.encode())

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
        await self._get(connection_id).ws.close(code=_NORMAL, message=b"closed by the @connections API")

    # -- a connection's life

    async def check(self, fn: Deployed, request: web.Request) -> web.StreamResponse | None:
        """A WebSocket upgrade (any other request is left to the http trigger): auth as http,
        then the connection, run to its end; `$connect`'s own answer when it refused."""
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return None
        from aiohttp import web  # here: the deploy validator imports this module, and no aiohttp

        trigger = fn.current.spec.trigger("websocket")
        identity = self._context.auth.identify(request.headers.get("Authorization"))
        if trigger is not None and trigger.config.get("auth") == "required" and identity.kind == "anonymous":
            raise identity.unauthorized("this function's websocket trigger needs auth (the developer token or a "
                                        "valid end-user token)")
        config = self._context.config
        ws = web.WebSocketResponse(max_msg_size=config.max_body_bytes, heartbeat=config.websocket_heartbeat_s,
                                   timeout=_CLOSE_WAIT_S)
        if not ws.can_prepare(request).ok:
            raise BadRequest("not a WebSocket upgrade: send GET with Upgrade: websocket, Connection: Upgrade "
                             "and Sec-WebSocket-Key/Version", "Upgrade")
        upgrade = await read_request(request, claims=identity.claims)
        peer = Peer(connection_id=new_id(), app_id=fn.app_id, path=upgrade.path, full_path=upgrade.full_path,
                    host=upgrade.host, source_ip=upgrade.source_ip, user_agent=upgrade.header("user-agent"),
                    claims=identity.claims,
                    connected_at=self._context.clock.now())
        answer = await self._invoke(fn, peer, "connect", upgrade=upgrade)
        if isinstance(answer, _Failed):
            return web.Response(status=answer.status, text=answer.frame(), content_type="application/json")
        if not 200 <= answer.status < 300:
            return web.Response(status=answer.status, headers=answer.headers, body=answer.body)
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
            code = conn.close_code or ws.close_code or _ABNORMAL
            await self._invoke(fn, peer, "disconnect", code=int(code), reason=conn.close_reason)
        return ws

    async def _receive(self, conn: _Connection) -> None:
        """Read frames until the socket closes; return when every frame's reply has gone out."""
        from aiohttp import WSMsgType

        ends = (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR)
        last: asyncio.Task[None] | None = None
        while True:
            msg = await conn.ws.receive()
            if msg.type is WSMsgType.TEXT:
                data, binary = msg.data.encode("utf-8"), False
            elif msg.type is WSMsgType.BINARY:
                data, binary = msg.data, True
            elif msg.type in ends:
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
                try:
                    answer: Reply | _Failed = await self._invoke(conn.fn, conn.peer, "message", data, binary=binary)
                except TooManyRequests as exc:  # the runtime's own line says so; the socket stays open
                    answer = _Failed(exc.code, exc.message, exc.status, None)
                frame = answer.frame()
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

    async def _invoke(self, fn: Deployed, peer: Peer, route: Route, data: bytes = b"", *, binary: bool = False,
                      upgrade: HttpRequest | None = None, code: int | None = None, reason: str = "",
                      ) -> Reply | _Failed:
        """One invocation through the one invoke path, and the function's reply. A `lambda`
        result is read as API Gateway reads one."""
        now = self._context.clock.now()
        request_id = new_id()
        if route == "connect":
            assert upgrade is not None
            event = connect_event(peer, upgrade, request_id=request_id, now=now)
        elif route == "message":
            event = message_event(peer, data, binary=binary, request_id=request_id, now=now)
        else:
            event = disconnect_event(peer, code=code or 0, reason=reason, request_id=request_id, now=now)
        request = socket_request(peer, route, data, binary=binary, upgrade=upgrade, close_code=code)
        lambda_style = fn.current.spec.runtime == "lambda"
        inv: _Invocation = await self._context.invoker.invoke(fn, request, "websocket", event=event,
                                                              summary=f"websocket {event['requestContext']['routeKey']}")
        if inv.failure is not None:
            return _Failed(inv.failure, inv.public_error(), inv.status, inv.id)
        if not lambda_style:
            return http_reply(inv.status, inv.headers, inv.body)
        try:
            return lambda_reply(inv.body)
        except MalformedResponse as exc:
            return _Failed("bad_response", str(exc), 502, inv.id)


WEBSOCKET = TriggerType("websocket", validate, WebSocketTrigger)
