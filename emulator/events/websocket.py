"""The websocket trigger's wire shapes (CONTRACT §6): API Gateway WebSocket events for `lambda`,
the POST every other style gets, and the frame a function's answer becomes. Pure: no I/O.

The events hold, key by key, to AWS's published samples (`tests/events/aws/websocket_*.json`):
`$connect` and `$disconnect` carry headers, a message carries `messageId` and its body, and
`queryStringParameters` appear only when the upgrade URL had a query, as AWS sends them. An app
plays the API, as for REST events: its id is the `apiId` and the stage.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from .apigw import request_time, response_from_result
from .request import HttpRequest, is_text

__all__ = [
    "CONNECTION_HEADER",
    "EVENT_HEADER",
    "Peer",
    "Reply",
    "Route",
    "connect_event",
    "disconnect_event",
    "error_frame",
    "http_reply",
    "lambda_reply",
    "message_event",
    "new_id",
    "peer_from_event",
    "socket_request",
]

Route = Literal["connect", "message", "disconnect"]
CONNECTION_HEADER = "X-Fnemu-Connection-Id"
EVENT_HEADER = "X-Fnemu-Websocket-Event"
"""`connect`, `message` or `disconnect`: which of the three a POST is (styles other than lambda)."""
_CLOSE_CODE_HEADER = "X-Fnemu-Websocket-Close-Code"
_ROUTE_KEYS = {"connect": "$connect", "message": "$default", "disconnect": "$disconnect"}
_UPGRADE_ONLY = frozenset({"connection", "upgrade", "content-length", "sec-websocket-key",
                           "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"})
"""Upgrade headers a POST must not carry: they describe the handshake, not a request."""


@dataclass(frozen=True, slots=True)
class Peer:
    """What every event of one connection shares, fixed when it opened."""

    connection_id: str
    app_id: str
    path: str
    """The path below `/fn/{name}` the upgrade asked for: the path the function sees."""
    full_path: str
    host: str
    source_ip: str
    user_agent: str | None
    connected_at: float
    claims: Mapping[str, Any] | None = None
    """The upgrade's end-user token claims: every POST of the connection carries them, as a
    connection's authorizer context lasts as long as it does."""


def new_id() -> str:
    """API Gateway's id form (16 URL-safe characters): connection, request and message ids."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode("ascii")


def _context(peer: Peer, route: Route, *, request_id: str, now: float) -> dict[str, Any]:
    identity: dict[str, Any] = {"sourceIp": peer.source_ip}
    if peer.user_agent is not None:
        identity["userAgent"] = peer.user_agent
    return {
        "routeKey": _ROUTE_KEYS[route],
        "eventType": route.upper(),
        "extendedRequestId": request_id,
        "requestTime": request_time(now),
        "messageDirection": "IN",
        "stage": peer.app_id,
        "connectedAt": int(peer.connected_at * 1000),
        "requestTimeEpoch": int(now * 1000),
        "identity": identity,
        "requestId": request_id,
        "domainName": peer.host,
        "connectionId": peer.connection_id,
        "apiId": peer.app_id,
    }


def _multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def connect_event(peer: Peer, upgrade: HttpRequest, *, request_id: str, now: float) -> dict[str, Any]:
    """`$connect`: the upgrade request's headers (and query, when it has one)."""
    headers, multi_headers = _multi(upgrade.headers)
    event: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi_headers}
    if upgrade.query:
        query, multi_query = _multi(upgrade.query)
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = multi_query
    event["requestContext"] = _context(peer, "connect", request_id=request_id, now=now)
    event["isBase64Encoded"] = False
    return event


def message_event(peer: Peer, data: bytes, *, binary: bool, request_id: str, now: float) -> dict[str, Any]:
    """`$default`: one frame; a binary frame's body is base64 with `isBase64Encoded`."""
    context = _context(peer, "message", request_id=request_id, now=now)
    context["messageId"] = request_id
    body = base64.b64encode(data).decode("ascii") if binary else data.decode("utf-8")
    return {"requestContext": context, "body": body, "isBase64Encoded": binary}


def disconnect_event(peer: Peer, *, code: int, reason: str, request_id: str, now: float) -> dict[str, Any]:
    """`$disconnect`: the close code and reason the socket ended with."""
    headers, multi_headers = _multi([("Host", peer.host)])
    context = _context(peer, "disconnect", request_id=request_id, now=now)
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = reason
    return {"headers": headers, "multiValueHeaders": multi_headers, "requestContext": context,
            "isBase64Encoded": False}


def peer_from_event(event: dict[str, Any], *, host: str, full_path: str) -> tuple[Peer, Route, bytes]:
    """An event read back (`fnemu invoke --event`): its connection, route and frame, for the
    request every style but `lambda` gets. KeyError or ValueError when it is not one."""
    context = event["requestContext"]
    route = context["eventType"].lower()
    if route not in _ROUTE_KEYS:
        raise ValueError(f"requestContext.eventType {context['eventType']!r} is not CONNECT, MESSAGE or DISCONNECT")
    body = event.get("body") or ""
    data = base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode()
    identity = context.get("identity") or {}
    peer = Peer(connection_id=str(context["connectionId"]), app_id=str(context.get("apiId", "")), path="/",
                full_path=full_path, host=host, source_ip=str(identity.get("sourceIp", "127.0.0.1")),
                user_agent=identity.get("userAgent"), connected_at=context.get("connectedAt", 0) / 1000)
    return peer, route, data


def socket_request(peer: Peer, route: Route, data: bytes = b"", *, binary: bool = False,
                   upgrade: HttpRequest | None = None, close_code: int | None = None) -> HttpRequest:
    """The POST every style but `lambda` gets: the frame as its body, the connection in headers.
    `$connect`'s POST also carries the upgrade request's own headers and query."""
    headers: list[tuple[str, str]] = []
    if upgrade is not None:
        headers.extend((k, v) for k, v in upgrade.headers if k.lower() not in _UPGRADE_ONLY)
    else:
        headers.append(("Host", peer.host))
    headers.append(("Content-Type", "application/octet-stream" if binary else "text/plain; charset=utf-8"))
    headers.extend((("X-Fnemu-Trigger", "websocket"), (CONNECTION_HEADER, peer.connection_id),
                    (EVENT_HEADER, route)))
    if close_code is not None:
        headers.append((_CLOSE_CODE_HEADER, str(close_code)))
    return HttpRequest(
        method="POST",
        path=peer.path,
        full_path=peer.full_path,
        query=upgrade.query if upgrade is not None else (),
        raw_query=upgrade.raw_query if upgrade is not None else "",
        headers=tuple(headers),
        body=data,
        source_ip=peer.source_ip,
        host=peer.host,
        claims=peer.claims,
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """A function's answer to a WebSocket event: the HTTP response it stands for (what a refused
    `$connect` answers) and whether its body goes back as a binary frame."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    binary: bool

    def frame(self) -> str | bytes | None:
        """The frame the body goes back as; an empty body sends none."""
        if not self.body:
            return None
        return self.body if self.binary else self.body.decode("utf-8", "replace")


def lambda_reply(body: bytes) -> Reply:
    """A `lambda` handler's answer (its return value as JSON), read as API Gateway reads a
    WebSocket route's proxy result: `{statusCode, body, isBase64Encoded}` (binary when base64),
    or any other value as a text body; nothing (`None`) is a 200 without a frame.
    MalformedResponse when the result is not one."""
    value = orjson.loads(body)
    if value is None:
        return Reply(200, [], b"", False)
    status, headers, data = response_from_result(value, v2=True)
    return Reply(status, headers, data, type(value) is dict and bool(value.get("isBase64Encoded")))


def http_reply(status: int, headers: list[tuple[str, str]], body: bytes) -> Reply:
    """Every other style's response: binary unless it is text by API Gateway's rule for bodies
    (a textual Content-Type, or none, and UTF-8)."""
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    return Reply(status, headers, body, not is_text(body, content_type))


def error_frame(code: str, message: str, *, status: int, invocation_id: str | None) -> str:
    """The text frame sent when a function fails on a frame: the HTTP edge's error envelope, with
    the status the failure stands for and the invocation's id (its log entry's `id`; null for a
    frame refused before any code ran)."""
    return orjson.dumps({"error": {"code": code, "message": message, "field": None}, "status": status,
                         "id": invocation_id}).decode()

