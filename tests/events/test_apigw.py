"""§5 the lambda style's API Gateway shapes, called directly: v1 and v2 events, result → response."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest

from emulator.events.apigw import MalformedResponse, event_v1, event_v2, response_from_result
from emulator.events.request import HttpRequest

NOW = 1_790_000_000.25


def request(**fields: Any) -> HttpRequest:
    base: dict[str, Any] = dict(
        method="POST", path="/items/7", full_path="/v1/local/fn/shop/items/7",
        query=(("tag", "a"), ("tag", "b"), ("q", "x y")), raw_query="tag=a&tag=b&q=x+y",
        headers=(("Host", "127.0.0.1:8787"), ("X-Multi", "1"), ("X-Multi", "2"),
                 ("Content-Type", "application/json"), ("User-Agent", "probe/1"),
                 ("Cookie", "a=1; b=2")),
        body=b'{"k": 1}', source_ip="127.0.0.9", host="127.0.0.1:8787",
        resource="/{proxy+}", path_params={"proxy": "items/7"},
    )
    base.update(fields)
    return HttpRequest(**base)


def test_v1_event_has_every_field_aws_sends() -> None:
    event = event_v1(request(), request_id="rid-1", app_id="local", now=NOW)
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/items/7"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["queryStringParameters"] == {"tag": "b", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x y"]}
    assert event["pathParameters"] == {"proxy": "items/7"}
    assert event["stageVariables"] is None
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["requestId"] == "rid-1"
    assert ctx["stage"] == "local"
    assert ctx["httpMethod"] == "POST"
    assert ctx["path"] == "/v1/local/fn/shop/items/7"
    assert ctx["resourcePath"] == "/{proxy+}"
    assert ctx["identity"]["sourceIp"] == "127.0.0.9"
    assert ctx["identity"]["userAgent"] == "probe/1"
    assert ctx["requestTimeEpoch"] == int(NOW * 1000)
    assert ctx["requestTime"] == "21/Sep/2026:14:13:20 +0000"
    assert ctx["protocol"] == "HTTP/1.1"


def test_v1_event_without_query_headers_or_body_uses_nulls() -> None:
    event = event_v1(request(method="GET", path="/", full_path="/v1/local/fn/shop", query=(),
                             raw_query="", headers=(), body=b"", resource="/", path_params=None),
                     request_id="r", app_id="local", now=NOW)
    assert event["path"] == "/"
    assert event["resource"] == "/"
    for key in ("headers", "multiValueHeaders", "queryStringParameters",
                "multiValueQueryStringParameters", "pathParameters", "body"):
        assert event[key] is None, key
    assert event["isBase64Encoded"] is False


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/octet-stream", b"plain ascii"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    (None, b"\xff\xfe\x00 not utf-8"),
], ids=["octet-stream", "image", "undecodable-untyped"])
def test_v1_binary_body_is_base64_encoded(content_type: str | None, body: bytes) -> None:
    headers = (("Content-Type", content_type),) if content_type else ()
    event = event_v1(request(headers=headers, body=body), request_id="r", app_id="s", now=NOW)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == body


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "application/json",
                                          "application/vnd.api+json", "application/x-www-form-urlencoded"])
def test_v1_text_body_is_passed_as_text(content_type: str) -> None:
    event = event_v1(request(headers=(("Content-Type", content_type),), body="héllo".encode()),
                     request_id="r", app_id="s", now=NOW)
    assert event["isBase64Encoded"] is False
    assert event["body"] == "héllo"


def test_v2_event_has_raw_path_query_cookies_and_http_context() -> None:
    event = event_v2(request(), request_id="rid-2", app_id="local", now=NOW)
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/items/7"
    assert event["rawQueryString"] == "tag=a&tag=b&q=x+y"
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-multi"] == "1,2"
    assert all(key == key.lower() for key in event["headers"])
    assert "cookie" not in event["headers"]
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "x y"}
    assert event["pathParameters"] == {"proxy": "items/7"}
    assert event["body"] == '{"k": 1}' and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"] == {"method": "POST", "path": "/items/7", "protocol": "HTTP/1.1",
                           "sourceIp": "127.0.0.9", "userAgent": "probe/1"}
    assert ctx["requestId"] == "rid-2"
    assert ctx["stage"] == "$default"
    assert ctx["path"] == "/v1/local/fn/shop/items/7"
    assert ctx["timeEpoch"] == int(NOW * 1000)
    assert ctx["routeKey"] == event["routeKey"] == "ANY /{proxy+}"


def test_v2_event_omits_what_the_request_lacks() -> None:
    event = event_v2(request(method="GET", query=(), raw_query="", headers=(), body=b"",
                             path_params=None), request_id="r", app_id="s", now=NOW)
    for key in ("cookies", "queryStringParameters", "pathParameters", "body"):
        assert key not in event, key
    assert event["rawQueryString"] == ""


def test_result_becomes_status_headers_and_body() -> None:
    status, headers, body = response_from_result({
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "X-One": "1", "X-Bool": True},
        "multiValueHeaders": {"X-Many": ["a", "b"], "X-One": ["multi wins"]},
        "body": "créé",
    }, v2=False)
    assert status == 201
    assert ("X-Many", "a") in headers and ("X-Many", "b") in headers
    assert [v for k, v in headers if k == "X-One"] == ["multi wins"]
    assert ("X-Bool", "true") in headers
    assert ("Content-Type", "text/plain") in headers
    assert body == "créé".encode()


def test_result_status_may_be_a_numeric_string_and_body_may_be_absent() -> None:
    assert response_from_result({"statusCode": "204"}, v2=False) == (204, [], b"")


def test_result_drops_hop_by_hop_headers() -> None:
    _, headers, _ = response_from_result(
        {"statusCode": 200, "headers": {"Content-Length": "999", "Connection": "close", "X-Ok": "1"},
         "body": "ok"}, v2=False)
    assert headers == [("X-Ok", "1")]


def test_base64_result_body_is_decoded_byte_exact() -> None:
    data = os.urandom(4096)
    _, _, body = response_from_result(
        {"statusCode": 200, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}, v2=False)
    assert body == data


@pytest.mark.parametrize(("value", "body"), [
    ({"message": "hi"}, b'{"message":"hi"}'),
    ([1, 2], b"[1,2]"),
    (7, b"7"),
    ("text", b"text"),
    (None, b"null"),
], ids=["object-without-statusCode", "list", "number", "string", "null"])
def test_v2_plain_value_is_a_json_200(value: Any, body: bytes) -> None:
    assert response_from_result(value, v2=True) == (200, [("Content-Type", "application/json")], body)


def test_v2_cookies_become_set_cookie_headers_and_object_body_is_json() -> None:
    status, headers, body = response_from_result(
        {"statusCode": 200, "cookies": ["a=1; Path=/", "b=2; HttpOnly"], "body": {"ok": True}}, v2=True)
    assert [v for k, v in headers if k == "Set-Cookie"] == ["a=1; Path=/", "b=2; HttpOnly"]
    assert body == b'{"ok":true}'


@pytest.mark.parametrize(("value", "reason"), [
    (None, "the handler returned None (null) instead of a response"),
    ("just text", "the handler returned a string instead of a response object"),
    ({"body": "no status"}, "the handler returned a dict (object) without statusCode"),
    ({"statusCode": "abc"}, "statusCode must be an HTTP status"),
    ({"statusCode": 42}, "statusCode must be an HTTP status"),
    ({"statusCode": True}, "statusCode must be an HTTP status"),
    ({"statusCode": 200, "headers": ["X: 1"]}, "headers must be an object"),
    ({"statusCode": 200, "multiValueHeaders": {"X": "1"}}, "multiValueHeaders.X must be a list"),
    ({"statusCode": 200, "body": {"k": 1}}, "body must be a string"),
    ({"statusCode": 200, "body": "@@not base64@@", "isBase64Encoded": True}, "not base64"),
], ids=["null", "string", "no-status", "status-text", "status-42", "status-bool", "headers-list",
        "multi-not-list", "v1-object-body", "bad-base64"])
def test_malformed_v1_result_is_rejected_with_the_reason(value: Any, reason: str) -> None:
    with pytest.raises(MalformedResponse) as info:
        response_from_result(value, v2=False)
    message = str(info.value)
    assert reason in message
    assert message.startswith(("the handler returned ", "malformed Lambda proxy response: "))


def test_v2_cookies_must_be_a_list() -> None:
    with pytest.raises(MalformedResponse, match="cookies must be a list"):
        response_from_result({"statusCode": 200, "cookies": "a=1"}, v2=True)
