"""§6 websocket events: API Gateway's WebSocket shapes held to AWS's samples key by key, the POST
of the other styles, and how a function's answer becomes a frame (pure builders, called directly)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from emulator.events.apigw import MalformedResponse
from emulator.events.request import HttpRequest
from emulator.events.websocket import (
    Peer,
    connect_event,
    disconnect_event,
    error_frame,
    http_reply,
    lambda_reply,
    message_event,
    socket_request,
)
from tests.events.shapes import aws_sample, shape_differences
from tests.helpers import fixture_code, wait_until

NOW = 1_790_000_000.25
PEER = Peer(connection_id="Abc1DeFGIAMCKl0=", app_id="local", path="/", full_path="/v1/local/fn/chat",
            host="127.0.0.1:8787", source_ip="127.0.0.1", user_agent="agent", connected_at=NOW - 5)
MAPS = ("headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters")
CONNECT_EXTRA = {"requestContext.identity.userAgent": "sent when the client sent a User-Agent, as in AWS's "
                                                      "message and disconnect samples"}


def upgrade(query: tuple[tuple[str, str], ...] = ()) -> HttpRequest:
    return HttpRequest(method="GET", path="/", full_path="/v1/local/fn/chat", query=query,
                       raw_query="&".join(f"{k}={v}" for k, v in query),
                       headers=(("Host", "127.0.0.1:8787"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                                ("Sec-WebSocket-Key", "k"), ("Sec-WebSocket-Version", "13"),
                                ("Authorization", "Bearer t"), ("User-Agent", "agent")),
                       body=b"", source_ip="127.0.0.1", host="127.0.0.1:8787")


def test_connect_event_has_the_samples_shape() -> None:
    event = connect_event(PEER, upgrade(), request_id="r", now=NOW)
    assert shape_differences(event, aws_sample("websocket_connect"), maps=MAPS, extra=CONNECT_EXTRA) == []
    assert event["requestContext"]["routeKey"] == "$connect"
    assert event["requestContext"]["connectedAt"] == int((NOW - 5) * 1000)


def test_connect_event_of_a_url_with_a_query_has_that_samples_shape() -> None:
    event = connect_event(PEER, upgrade((("room", "lobby"), ("room", "hall"))), request_id="r", now=NOW)
    assert shape_differences(event, aws_sample("websocket_connect_query"), maps=MAPS, extra=CONNECT_EXTRA) == []
    assert event["multiValueQueryStringParameters"] == {"room": ["lobby", "hall"]}


def test_message_event_has_the_samples_shape() -> None:
    event = message_event(PEER, b'{"action": "send"}', binary=False, request_id="r", now=NOW)
    assert shape_differences(event, aws_sample("websocket_message")) == []
    assert event["body"] == '{"action": "send"}'
    assert event["requestContext"]["messageId"] == "r"


def test_a_binary_message_is_base64() -> None:
    event = message_event(PEER, b"\xff\x00", binary=True, request_id="r", now=NOW)
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, b"\xff\x00")


def test_disconnect_event_has_the_samples_shape() -> None:
    event = disconnect_event(PEER, code=1001, reason="going away", request_id="r", now=NOW)
    assert shape_differences(event, aws_sample("websocket_disconnect"), maps=MAPS) == []
    assert (event["requestContext"]["disconnectStatusCode"], event["requestContext"]["disconnectReason"]) == (
        1001, "going away")


def test_events_a_server_sends_have_the_samples_shapes(fnemu: Any) -> None:
    fnemu.deploy("chat", fixture_code("python/ws_chat.py"), triggers=[{"type": "websocket"}])
    with fnemu.websocket("chat", headers={"User-Agent": "agent"}) as ws:
        ws.send("hello")
        assert ws.receive() == "hello"
    entries = wait_until(lambda: len(fnemu.logs("chat")) == 3 and fnemu.logs("chat"), message="three events")
    connect_, message, disconnect = (json.loads(e["consoleLogs"][0]["message"]) for e in reversed(entries))
    assert shape_differences(connect_, aws_sample("websocket_connect"), maps=MAPS, extra=CONNECT_EXTRA) == []
    assert shape_differences(message, aws_sample("websocket_message")) == []
    assert shape_differences(disconnect, aws_sample("websocket_disconnect"), maps=MAPS) == []


def test_the_post_of_the_other_styles_carries_the_frame_and_the_connection() -> None:
    req = socket_request(PEER, "message", b"\x01", binary=True)
    assert (req.method, req.path, req.body) == ("POST", "/", b"\x01")
    assert dict(req.headers) == {"Host": "127.0.0.1:8787", "Content-Type": "application/octet-stream",
                                 "X-Fnemu-Trigger": "websocket", "X-Fnemu-Connection-Id": PEER.connection_id,
                                 "X-Fnemu-Websocket-Event": "message"}
    connect_ = socket_request(PEER, "connect", upgrade=upgrade((("a", "1"),)))
    assert connect_.header("Authorization") == "Bearer t" and connect_.raw_query == "a=1"
    assert connect_.header("Upgrade") is None and connect_.header("Sec-WebSocket-Key") is None
    closing = socket_request(PEER, "disconnect", close_code=1000)
    assert closing.header("X-Fnemu-Websocket-Close-Code") == "1000"


@pytest.mark.parametrize(("value", "status", "frame"), [
    (None, 200, None),
    ({"statusCode": 200}, 200, None),
    ({"statusCode": 200, "body": "hi"}, 200, "hi"),
    ({"statusCode": 403, "body": "no"}, 403, "no"),
    ({"statusCode": 200, "body": base64.b64encode(b"hi").decode(), "isBase64Encoded": True}, 200, b"hi"),
    ("plain", 200, "plain"),
    ({"a": 1}, 200, '{"a":1}'),
])
def test_a_lambda_answer_is_read_as_api_gateway_reads_it(value: Any, status: int, frame: Any) -> None:
    reply = lambda_reply(json.dumps(value).encode())
    assert (reply.status, reply.frame()) == (status, frame)


def test_a_lambda_answer_with_a_bad_status_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        lambda_reply(b'{"statusCode": "soon"}')


@pytest.mark.parametrize(("content_type", "body", "frame"), [
    ("text/plain", b"hi", "hi"),
    (None, b"hi", "hi"),
    (None, b"\xff", b"\xff"),
    ("application/octet-stream", b"hi", b"hi"),
    ("application/json", b"{}", "{}"),
    ("text/plain", b"", None),
])
def test_other_styles_answers_are_text_frames_when_their_body_is_text(content_type: str | None, body: bytes,
                                                                     frame: Any) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    assert http_reply(200, headers, body).frame() == frame


def test_error_frame_shape() -> None:
    assert json.loads(error_frame("timeout", "timed out after 3000 ms", status=504, invocation_id="i")) == {
        "error": {"code": "timeout", "message": "timed out after 3000 ms", "field": None}, "status": 504, "id": "i"}
