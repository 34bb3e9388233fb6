"""§5 the `cgi` style per RFC 3875: meta-variables, the body on stdin, document, local-redirect and
client-redirect responses, Status handling; Python and Node scripts deployed through the API."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest

from tests.helpers import fixture_code

PY = fixture_code("cgi/script.py")
NODE = fixture_code("cgi/script.mjs")


def _deploy(fnemu: Any, name: str = "cgi", code: str = PY, **fields: Any) -> dict[str, Any]:
    fields.setdefault("language", "node" if code is NODE else "python")
    return fnemu.deploy(name, code, runtime="cgi", **fields)


def test_cgi_is_chosen_never_detected(fnemu: Any) -> None:
    fn = _deploy(fnemu)
    assert (fn["language"], fn["runtime"]) == ("python", "cgi")
    looks_cgi = "import os\nprint('Content-Type: text/plain')\n\ndef handler(event, context):\n    return {}\n"
    assert fnemu.deploy("plain", looks_cgi)["runtime"] == "lambda"


def test_meta_variables_describe_the_request(fnemu: Any) -> None:
    _deploy(fnemu, envVars={"GREETING": "hi"})
    r = fnemu.call("cgi", "POST", "/items/42?tag=a&tag=b", content=b"payload",
                   headers={"Content-Type": "text/plain", "X-Test": "yes"})
    assert r.status_code == 200
    seen = r.json()
    env = seen["env"]
    host, port = fnemu.url.removeprefix("http://").rsplit(":", 1)
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert env["SERVER_PROTOCOL"] == "HTTP/1.1" and env["SERVER_SOFTWARE"].startswith("fnemu/")
    assert (env["SERVER_NAME"], env["SERVER_PORT"]) == (host, port)
    assert env["REQUEST_METHOD"] == "POST"
    assert env["SCRIPT_NAME"] == "/v1/local/fn/cgi"
    assert env["PATH_INFO"] == "/items/42"
    assert env["QUERY_STRING"] == "tag=a&tag=b"
    assert (env["CONTENT_TYPE"], env["CONTENT_LENGTH"]) == ("text/plain", "7")
    assert env["HTTP_X_TEST"] == "yes"
    assert env["HTTP_AUTHORIZATION"] == f"Bearer {fnemu.token}" and env["AUTH_TYPE"] == "Bearer"
    assert env["REMOTE_ADDR"] == "127.0.0.1"
    assert env["GREETING"] == "hi"
    assert base64.b64decode(seen["body"]) == b"payload"
    (entry,) = fnemu.logs("cgi")
    assert (entry["method"], entry["path"], entry["status_code"]) == ("POST", "/items/42", 200)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_reaches_the_script(fnemu: Any, method: str) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", method, "/")
    assert r.status_code == 200
    env = r.json()["env"]
    assert env["REQUEST_METHOD"] == method and env["PATH_INFO"] == "/"
    assert "CONTENT_LENGTH" not in env  # only with a body (RFC 3875 §4.1.2)


def test_head_answers_the_status_and_headers_without_body(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "HEAD", "/?do=status")
    assert r.status_code == 404 and r.content == b""


def test_the_script_sees_nothing_of_the_emulator_environment(fnemu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables in the shell that started fnemu never reach the script (only the platform's and
    the function's own), whatever platform they would make it detect."""
    for name in ("GATEWAY_INTERFACE", "AWS_LAMBDA_FUNCTION_NAME", "FUNCTION_TARGET", "SWML_BASIC_AUTH_USER",
                 "FNEMU_LEAK", "HTTP_PROXY"):
        monkeypatch.setenv(name, "from-the-shell")
    _deploy(fnemu, envVars={"ONLY_MINE": "1"})
    env = fnemu.call("cgi", "GET", "/").json()["env"]
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1"
    assert not {"AWS_LAMBDA_FUNCTION_NAME", "FUNCTION_TARGET", "SWML_BASIC_AUTH_USER", "FNEMU_LEAK",
                "HTTP_PROXY"} & env.keys()
    assert "from-the-shell" not in env.values()
    assert not [k for k in env if k.startswith("FNEMU_")]
    assert env["ONLY_MINE"] == "1"


def test_a_proxy_header_never_becomes_http_proxy(fnemu: Any) -> None:
    _deploy(fnemu)
    env = fnemu.call("cgi", "GET", "/", headers={"Proxy": "http://evil.example"}).json()["env"]
    assert "HTTP_PROXY" not in env


def test_status_header_sets_the_status_and_headers_pass_through(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", "/?do=status")
    assert r.status_code == 404
    assert r.headers["x-extra"] == "yes" and r.headers["content-type"] == "text/plain"
    assert "status" not in r.headers
    assert r.content == b"no such thing"


def test_a_document_without_status_is_200(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", "/?do=lf_only")
    assert (r.status_code, r.content) == (200, b"unix line ends")


def test_a_wrong_content_length_is_never_passed_on(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", "/?do=wrong_length")
    assert r.status_code == 200
    assert r.content == b"short body"
    assert r.headers["content-length"] == str(len(b"short body"))


def test_an_absolute_location_is_a_302_client_redirect(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", "/?do=client_redirect")
    assert r.status_code == 302 and r.headers["location"] == "https://example.com/elsewhere"


def test_a_location_with_a_status_is_passed_to_the_client(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", "/?do=redirect_302")
    assert r.status_code == 303 and r.headers["location"] == "/v1/local/fn/other"


def test_a_local_redirect_runs_the_script_again_as_a_get(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "POST", "/start?do=local_redirect", content=b"dropped")
    assert r.status_code == 200
    env = r.json()["env"]
    assert env["REQUEST_METHOD"] == "GET"
    assert env["PATH_INFO"] == "/landed" and env["QUERY_STRING"] == "do=echo&from=redirect"
    assert "CONTENT_LENGTH" not in env and r.json()["body"] == ""
    assert len(fnemu.logs("cgi")) == 1  # one invocation


def test_a_local_redirect_outside_the_function_is_a_502_that_says_so(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("cgi", "GET", "/?do=local_outside")
    assert r.status_code == 502
    error = fnemu.logs("cgi")[0]["error"]
    assert "local redirect to /somewhere/else is outside the function (/v1/local/fn/cgi)" in error


def test_endless_local_redirects_stop(fnemu: Any) -> None:
    _deploy(fnemu)
    assert fnemu.call("cgi", "GET", "/?do=redirect_loop").status_code == 502
    assert "more than 10 local redirects" in fnemu.logs("cgi")[0]["error"]


@pytest.mark.parametrize("code", [PY, NODE], ids=["python", "node"])
def test_binary_bodies_travel_unchanged_both_ways(fnemu: Any, code: str) -> None:
    _deploy(fnemu, code=code)
    payload = bytes(range(256)) * 64 + os.urandom(1000)
    r = fnemu.call("cgi", "POST", "/?do=binary", content=payload,
                   headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200
    assert r.content == payload[::-1]
    assert r.headers["content-type"] == "application/octet-stream"


def test_node_script_gets_the_meta_variables_and_its_status(fnemu: Any) -> None:
    _deploy(fnemu, code=NODE, envVars={"MINE": "yes"})
    r = fnemu.call("cgi", "PUT", "/a/b?x=1", content=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 201
    seen = r.json()
    env = seen["env"]
    assert (env["REQUEST_METHOD"], env["PATH_INFO"], env["QUERY_STRING"]) == ("PUT", "/a/b", "x=1")
    assert env["GATEWAY_INTERFACE"] == "CGI/1.1" and env["MINE"] == "yes"
    assert base64.b64decode(seen["body"]) == b"{}"


def test_each_request_runs_the_script_afresh(fnemu: Any) -> None:
    _deploy(fnemu)
    pids = {fnemu.call("cgi").json()["pid"] for _ in range(3)}
    assert len(pids) == 3


def test_test_invoke_builds_the_request_it_describes(fnemu: Any) -> None:
    _deploy(fnemu)
    envelope = fnemu.invoke("cgi", method="PUT", path="/a/b", query={"q": "1"}, body={"k": "v"})
    assert envelope["status_code"] == 200 and envelope["error"] is None
    seen = json.loads(envelope["body"])
    assert (seen["env"]["REQUEST_METHOD"], seen["env"]["PATH_INFO"]) == ("PUT", "/a/b")
    assert seen["env"]["QUERY_STRING"] == "q=1"
    assert json.loads(base64.b64decode(seen["body"])) == {"k": "v"}
    assert envelope["memory_mb"] > 0


def test_a_cron_trigger_posts_its_event_as_json(fnemu: Any) -> None:
    _deploy(fnemu, triggers=[{"type": "cron", "config": {"schedule": "0 * * * *"}}])
    envelope = fnemu.fire_cron("cgi")
    assert envelope["status_code"] == 200
    seen = json.loads(envelope["body"])
    env = seen["env"]
    assert env["REQUEST_METHOD"] == "POST" and env["HTTP_X_FNEMU_TRIGGER"] == "cron"
    assert env["CONTENT_TYPE"] == "application/json"
    event = json.loads(base64.b64decode(seen["body"]))
    assert event["detail-type"] == "Scheduled Event"
    assert fnemu.logs("cgi")[0]["trigger"] == "cron"


def test_an_s3_upload_posts_its_event_as_json(fnemu: Any) -> None:
    from tests.helpers import wait_until

    _deploy(fnemu, triggers=[{"type": "s3_upload", "config": {"bucket": "cgi-in"}}])
    fnemu.s3_client().put_object(Bucket="cgi-in", Key="a.txt", Body=b"x")
    (entry,) = wait_until(lambda: fnemu.logs("cgi"), timeout=30, message="the upload's invocation")
    assert (entry["trigger"], entry["status_code"], entry["method"]) == ("s3_upload", 200, "POST")


def test_a_syntax_error_is_refused_at_deploy_with_its_line(fnemu: Any) -> None:
    from emulator.client import ClientError

    with pytest.raises(ClientError) as caught:
        _deploy(fnemu, code="import os\n\ndef broken(:\n")
    assert caught.value.status == 400 and "line 3" in str(caught.value)


def test_a_node_syntax_error_is_refused_at_deploy(fnemu: Any) -> None:
    from emulator.client import ClientError

    with pytest.raises(ClientError) as caught:
        _deploy(fnemu, code="import fs from 'node:fs';\nconst = 1;\n", language="node")
    assert caught.value.status == 400 and "SyntaxError" in str(caught.value)
