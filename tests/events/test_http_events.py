"""§5 the lambda style end to end: API Gateway events in, Lambda results out, through `/fn/`."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import pytest

from tests.helpers import fixture_code


def echo(response: Any) -> dict[str, Any]:
    """The echo_event fixture's answer."""
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def test_v1_event_carries_the_request(fnemu: Any) -> None:
    fnemu.deploy("echo", fixture_code("python/echo_event.py"))
    before = int(time.time() * 1000)
    r = fnemu.http.post(
        f"/v1/{fnemu.app_id}/fn/echo/orders/42?tag=a&tag=b&q=x%20y", content=b'{"n": 1}',
        headers=[("Authorization", f"Bearer {fnemu.token}"), ("Content-Type", "application/json"),
                 ("X-Multi", "one"), ("X-Multi", "two")])
    event = echo(r)["event"]
    assert event["httpMethod"] == "POST"
    assert event["path"] == "/orders/42"
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "orders/42"}
    assert event["queryStringParameters"] == {"tag": "b", "q": "x y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"], "q": ["x y"]}
    assert event["headers"]["X-Multi"] == "two"
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert event["headers"]["Authorization"] == f"Bearer {fnemu.token}"
    assert event["body"] == '{"n": 1}' and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    (entry,) = fnemu.logs("echo")
    assert ctx["requestId"] == entry["id"]
    assert ctx["stage"] == fnemu.app_id
    assert ctx["httpMethod"] == "POST"
    assert ctx["path"] == f"/v1/{fnemu.app_id}/fn/echo/orders/42"
    assert ctx["resourcePath"] == "/{proxy+}"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert before - 1000 <= ctx["requestTimeEpoch"] <= int(time.time() * 1000) + 1000
    assert entry["path"] == "/orders/42"


def test_v1_event_at_the_function_root(fnemu: Any) -> None:
    fnemu.deploy("echo", fixture_code("python/echo_event.py"))
    event = echo(fnemu.call("echo"))["event"]
    assert event["path"] == "/"
    assert event["resource"] == "/"
    assert event["pathParameters"] is None
    assert event["queryStringParameters"] is None
    assert event["body"] is None
    assert event["requestContext"]["path"] == f"/v1/{fnemu.app_id}/fn/echo"


def test_v1_event_uses_the_http_trigger_path_template(fnemu: Any) -> None:
    fnemu.deploy("echo", fixture_code("python/echo_event.py"),
                 triggers=[{"type": "http", "config": {"path": "/users/{id}"}}])
    event = echo(fnemu.call("echo", path="/users/u-9"))["event"]
    assert event["resource"] == "/users/{id}"
    assert event["requestContext"]["resourcePath"] == "/users/{id}"
    assert event["pathParameters"] == {"id": "u-9"}
    assert event["path"] == "/users/u-9"


def test_v1_binary_body_arrives_base64_encoded(fnemu: Any) -> None:
    fnemu.deploy("echo", fixture_code("python/echo_event.py"))
    data = bytes(range(256))
    r = fnemu.call("echo", "PUT", "/blob", content=data, headers={"Content-Type": "application/octet-stream"})
    event = echo(r)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


@pytest.mark.parametrize("event_format", ["v1", "v2"])
def test_binary_body_round_trips_byte_exact(fnemu: Any, event_format: str) -> None:
    fnemu.deploy("bin", fixture_code("python/binary_echo.py"), eventFormat=event_format)
    data = os.urandom(256 * 1024)
    r = fnemu.call("bin", "POST", content=data, headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/octet-stream"
    assert r.content == data


def test_v2_event_carries_the_request(fnemu: Any) -> None:
    fnemu.deploy("echo", fixture_code("python/echo_event.py"), eventFormat="v2")
    r = fnemu.call("echo", "GET", "/a/b?x=1&x=2&y=%C3%A9", headers={"Cookie": "sid=abc; theme=dark",
                                                                  "X-Mixed-Case": "V"})
    event = echo(r)["event"]
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/a/b"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "é"}
    assert event["cookies"] == ["sid=abc", "theme=dark"]
    assert event["headers"]["x-mixed-case"] == "V"
    assert all(name == name.lower() for name in event["headers"])
    http = event["requestContext"]["http"]
    assert http["method"] == "GET"
    assert http["path"] == "/a/b"
    assert http["sourceIp"] == "127.0.0.1"
    assert http["userAgent"].startswith("python-httpx/")
    assert event["requestContext"]["requestId"] == fnemu.logs("echo")[0]["id"]
    assert "body" not in event


def test_v2_raw_query_string_is_the_query_as_sent(fnemu: Any) -> None:
    fnemu.deploy("echo", fixture_code("python/echo_event.py"), eventFormat="v2")
    event = echo(fnemu.call("echo", "GET", "/?x=1&x=2&y=%C3%A9&z=a%26b"))["event"]
    assert event["rawQueryString"] == "x=1&x=2&y=%C3%A9&z=a%26b"
    assert event["queryStringParameters"] == {"x": "1,2", "y": "é", "z": "a&b"}


def test_result_status_headers_and_multi_value_headers_reach_the_client(fnemu: Any) -> None:
    fnemu.deploy("res", "def handler(event, context):\n"
                        "    return {'statusCode': 418, 'headers': {'Content-Type': 'text/plain', 'X-One': '1'},\n"
                        "            'multiValueHeaders': {'X-Many': ['a', 'b']}, 'body': 'teapot'}\n")
    r = fnemu.call("res")
    assert r.status_code == 418
    assert r.text == "teapot"
    assert r.headers["content-type"] == "text/plain"
    assert r.headers["x-one"] == "1"
    assert r.headers.get_list("x-many") == ["a", "b"]


def test_v2_plain_value_is_json_and_cookies_become_set_cookie(fnemu: Any) -> None:
    fnemu.deploy("plain", "def handler(event, context):\n    return {'items': [1, 2]}\n", eventFormat="v2")
    r = fnemu.call("plain")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"items": [1, 2]}
    fnemu.deploy("cookies", "def handler(event, context):\n"
                            "    return {'statusCode': 200, 'cookies': ['a=1; Path=/', 'b=2'], 'body': 'ok'}\n",
                 eventFormat="v2")
    r = fnemu.call("cookies")
    assert r.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert r.text == "ok"


@pytest.mark.parametrize(("result", "reason"), [
    ("None", "the handler returned None (null) instead of a response"),
    ("{'ok': True}", "the handler returned a dict (object) without statusCode"),
    ("[1]", "the handler returned a list (array) instead of a response object"),
    ("{'statusCode': 'abc'}", "statusCode must be an HTTP status"),
    ("{'statusCode': 200, 'body': {'k': 1}}", "body must be a string"),
    ("{'statusCode': 200, 'body': '%%', 'isBase64Encoded': True}", "not base64"),
], ids=["null", "no-status", "list", "bad-status", "object-body", "bad-base64"])
def test_malformed_result_is_502_with_the_reason_in_the_log(fnemu: Any, result: str, reason: str) -> None:
    fnemu.deploy("bad", f"def handler(event, context):\n    return {result}\n")
    r = fnemu.call("bad")
    assert r.status_code == 502
    (entry,) = fnemu.logs("bad")
    assert entry["status_code"] == 502
    assert reason in entry["error"]
    assert fnemu.call("bad").status_code == 502  # the worker survives a bad result
