"""§5 the `cgi` style's meta-variables (RFC 3875 §4.1), built from the neutral request."""

from __future__ import annotations

import base64

from emulator.events.cgi import meta_variables, request_event
from emulator.events.request import HttpRequest


def _request(**fields: object) -> HttpRequest:
    base: dict[str, object] = {
        "method": "GET", "path": "/", "full_path": "/v1/local/fn/hello", "query": (), "raw_query": "",
        "headers": (("Host", "127.0.0.1:8787"),), "body": b"", "source_ip": "127.0.0.1",
        "host": "127.0.0.1:8787",
    }
    base.update(fields)
    return HttpRequest(**base)  # type: ignore[arg-type]


def test_root_request() -> None:
    env = meta_variables(_request())
    assert env == {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/v1/local/fn/hello", "PATH_INFO": "/", "QUERY_STRING": "",
        "REQUEST_URI": "/v1/local/fn/hello", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8787",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_HOST": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8787",
    }


def test_a_trailing_slash_is_the_root_below_the_same_prefix() -> None:
    env = meta_variables(_request(full_path="/v1/local/fn/hello/"))
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/v1/local/fn/hello", "/")


def test_path_below_the_prefix_is_decoded_and_the_uri_is_not() -> None:
    env = meta_variables(_request(path="/a b/ü", full_path="/v1/local/fn/hello/a b/ü", raw_query="x=%20"))
    assert (env["SCRIPT_NAME"], env["PATH_INFO"]) == ("/v1/local/fn/hello", "/a b/ü")
    assert env["REQUEST_URI"] == "/v1/local/fn/hello/a%20b/%C3%BC?x=%20"
    assert env["QUERY_STRING"] == "x=%20"


def test_body_headers_become_content_variables_not_http_ones() -> None:
    env = meta_variables(_request(method="POST", body=b"12345", headers=(
        ("Content-Type", "text/plain"), ("Content-Length", "5"), ("X-Multi", "a"), ("x-multi", "b"),
        ("Authorization", "Basic dTpw"), ("Proxy", "http://evil"))))
    assert (env["CONTENT_TYPE"], env["CONTENT_LENGTH"]) == ("text/plain", "5")
    assert "HTTP_CONTENT_TYPE" not in env and "HTTP_CONTENT_LENGTH" not in env
    assert env["HTTP_X_MULTI"] == "a, b"
    assert (env["HTTP_AUTHORIZATION"], env["AUTH_TYPE"]) == ("Basic dTpw", "Basic")
    assert "HTTP_PROXY" not in env


def test_no_body_no_content_length() -> None:
    assert "CONTENT_LENGTH" not in meta_variables(_request(method="POST"))


def test_a_host_without_port_is_port_80() -> None:
    env = meta_variables(_request(host="example.test"))
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == ("example.test", "80")


def test_the_event_carries_the_body_as_base64() -> None:
    event = request_event(_request(method="POST", body=b"\x00\xff"))
    assert base64.b64decode(event["body"]) == b"\x00\xff"
    assert event["env"]["CONTENT_LENGTH"] == "2"
