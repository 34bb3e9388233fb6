"""The kinds of event fnemu hands `lambda` handlers (CONTRACT §13): make one from a few fields, or
tell how one arrives.

`generate` builds an event with the very functions the triggers use (`apigw.py`, `s3.py`,
`scheduled.py`, `websocket.py`, `webhook.py`), so `fnemu event` and the pytest plugin's `event()`
print exactly what a function receives, ids and times aside. `arrival` reads such an event back
(`fnemu invoke --event`): what its trigger would hand the function, for every handler style.
Pure: no I/O.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson

from ..clock import parse_iso
from ..config import DEFAULT_APP_ID, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_REGION
from ..errors import BadRequest
from ..triggers.http import HttpRoute
from ..triggers.signatures import sign
from ..urls import function_path
from .apigw import event_v1, event_v2, request_from_event
from .request import HttpRequest
from .s3 import PRINCIPAL_ID, CreatedObject, s3_event
from .scheduled import scheduled_event
from .trigger import trigger_request
from .webhook import delivery
from .websocket import Peer, message_event, new_id, peer_from_event, socket_request

__all__ = ["KINDS", "Arrival", "EventFields", "arrival", "fields", "generate", "kind_of"]


@dataclass(frozen=True, slots=True)
class EventFields:
    """What an event is made from; each kind reads the fields it has a place for."""

    method: str | None = None
    path: str = "/"
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    bucket: str = "my-bucket"
    key: str = "uploads/hello.txt"
    size: int = 0
    content_type: str = "text/plain"
    time: float | None = None
    """The cron occurrence (unix seconds); now when None."""
    source: str | None = None
    """The webhook provider (github, stripe, slack, generic); a generic delivery when None."""
    secret: str | None = None
    """The webhook secret to sign the delivery with; unsigned when None."""
    app_id: str = DEFAULT_APP_ID
    function: str = "hello"
    host: str = f"{DEFAULT_HOST}:{DEFAULT_PORT}"
    region: str = DEFAULT_REGION


_DEFAULT_ROUTE = HttpRoute.compile({})


def fields(**values: Any) -> EventFields:
    """EventFields from Python values (the pytest plugin's `event(kind, **fields)`): `query` and
    `headers` a dict (a list value repeats the name) or pairs; `body` str, bytes or any JSON value
    (sent as JSON, with a JSON Content-Type unless `headers` has one); `time` ISO 8601 or unix
    seconds. TypeError naming an unknown field."""
    unknown = set(values) - set(EventFields.__dataclass_fields__)
    if unknown:
        raise TypeError(f"unknown event field(s) {', '.join(sorted(unknown))}; "
                        f"allowed: {', '.join(EventFields.__dataclass_fields__)}")
    for name in ("query", "headers"):
        if name in values:
            values[name] = _pairs(values[name])
    body = values.get("body")
    if body is not None and not isinstance(body, bytes):
        if isinstance(body, str):
            values["body"] = body.encode()
        else:
            values["body"] = orjson.dumps(body)
            if not any(k.lower() == "content-type" for k, _ in values.get("headers", ())):
                values["headers"] = (*values.get("headers", ()), ("Content-Type", "application/json"))
    if isinstance(values.get("time"), str):
        values["time"] = parse_iso(values["time"])
    return EventFields(**values)


def _pairs(value: Mapping[str, Any] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping):
        return tuple((str(k), str(v)) for k, v in value)
    return tuple((str(k), str(v)) for k, vs in value.items() for v in (vs if isinstance(vs, list) else [vs]))


def _request(f: EventFields, method: str, headers: tuple[tuple[str, str], ...], body: bytes) -> HttpRequest:
    """The request a function at `/v1/{app_id}/fn/{function}` sees, as the `/fn/` edge reads one
    and its default http trigger routes it."""
    prefix = function_path(f.app_id, f.function)
    resource, params = _DEFAULT_ROUTE.match(method.upper(), f.path)
    return HttpRequest(method=method.upper(), path=f.path, full_path=prefix + ("" if f.path == "/" else f.path),
                       query=f.query, raw_query=urlencode(f.query), headers=(("Host", f.host), *headers),
                       body=body, source_ip="127.0.0.1", host=f.host, resource=resource, path_params=params)


def _http(f: EventFields, v2: bool) -> dict[str, Any]:
    shape = event_v2 if v2 else event_v1
    return shape(_request(f, f.method or "GET", f.headers, f.body or b""), request_id=str(uuid.uuid4()),
                 app_id=f.app_id, now=time.time())


def _webhook(f: EventFields) -> dict[str, Any]:
    """A delivery as the source sends it (its sample body unless `body`), as a REST (v1) event."""
    now = int(time.time())
    body, headers = delivery(f.source, None, f.body, timestamp=now)
    if f.secret is not None:
        headers.update(sign(f.source or "generic", f.secret, body, timestamp=now))
    request = _request(f, f.method or "POST", (*headers.items(), *f.headers), body)
    return event_v1(request, request_id=str(uuid.uuid4()), app_id=f.app_id, now=time.time())


def _s3(f: EventFields) -> dict[str, Any]:
    created = CreatedObject(
        event_name="ObjectCreated:Put", bucket=f.bucket, key=f.key, size=f.size,
        etag=hashlib.md5(f"{f.bucket}/{f.key}/{f.size}".encode()).hexdigest(), content_type=f.content_type,
        version_id=None, region=f.region, source_ip="127.0.0.1", request_id=secrets.token_hex(8).upper(),
        host_id=secrets.token_urlsafe(48))
    return s3_event(created, event_time=time.time(), sequencer=f"{time.time_ns():018X}",
                    configuration_id=f.function, principal_id=PRINCIPAL_ID)


def _cron(f: EventFields) -> dict[str, Any]:
    return scheduled_event(app_id=f.app_id, name=f.function, scheduled=time.time() if f.time is None else f.time,
                           region=f.region)


def _websocket(f: EventFields) -> dict[str, Any]:
    """One text frame (`$default`) on a connection just opened."""
    now = time.time()
    request = _request(f, "GET", f.headers, b"")
    peer = Peer(connection_id=new_id(), app_id=f.app_id, path=request.path, full_path=request.full_path,
                host=f.host, source_ip=request.source_ip, user_agent=request.header("User-Agent"),
                connected_at=now)
    return message_event(peer, f.body or b"", binary=False, request_id=new_id(), now=now)


KINDS: dict[str, Callable[[EventFields], dict[str, Any]]] = {
    "apigw": lambda f: _http(f, v2=False),
    "apigw-v2": lambda f: _http(f, v2=True),
    "s3": _s3,
    "cron": _cron,
    "websocket": _websocket,
    "webhook": _webhook,
}
"""`fnemu event KIND`: each kind's generator."""


def generate(kind: str, fields: EventFields) -> dict[str, Any]:
    """The event of `kind`; ValueError for an unknown kind."""
    try:
        make = KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown event kind {kind!r}; one of {', '.join(KINDS)}") from None
    return make(fields)


def kind_of(event: Mapping[str, Any]) -> str | None:
    """Which kind an event is, by the keys only that kind has (a webhook's is an `apigw` event)."""
    context = event.get("requestContext")
    if isinstance(context, dict) and "connectionId" in context:
        return "websocket"
    if event.get("version") == "2.0" and "routeKey" in event:
        return "apigw-v2"
    if "httpMethod" in event:
        return "apigw"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict) \
            and records[0].get("eventSource") == "aws:s3":
        return "s3"
    if event.get("detail-type") == "Scheduled Event":
        return "cron"
    return None


_TRIGGERS = {"s3": "s3_upload", "cron": "cron", "websocket": "websocket"}


@dataclass(frozen=True, slots=True)
class Arrival:
    """How an event reaches a function: `request` alone for an HTTP event (each style builds its
    own shape from it, `lambda` the API Gateway event again); otherwise `event`, the `lambda`
    handler's event, and `request`, what every other style gets for it."""

    request: HttpRequest
    event: dict[str, Any] | None


def arrival(event: Any, *, host: str, full_path: str) -> Arrival:
    """What `event`'s trigger would hand the function at `full_path`; BadRequest naming `event`
    when it is not an event of a known kind."""
    kind = kind_of(event) if isinstance(event, dict) else None
    if kind is None:
        raise BadRequest("event: must be an event of one of the kinds `fnemu event` makes "
                         f"({', '.join(KINDS)})", "event")
    try:
        if kind in ("apigw", "apigw-v2"):
            return Arrival(request_from_event(event, v2=kind == "apigw-v2", host=host, full_path=full_path), None)
        if kind == "websocket":
            peer, route, data = peer_from_event(event, host=host, full_path=full_path)
            return Arrival(socket_request(peer, route, data, binary=bool(event.get("isBase64Encoded"))), event)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadRequest(f"event: not a well-formed {kind} event ({type(exc).__name__}: {exc})", "event") from None
    return Arrival(trigger_request(_TRIGGERS[kind], event, host=host, full_path=full_path), event)
