"""§5 the `gcf` style: a Flask `request` in, anything Flask accepts out, Google's variables, on
the user's own Flask (and functions-framework's decorator when they use it)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import fixture_code

GCF = fixture_code("python/gcf_echo.py")


def test_request_is_flasks_own_with_the_url_below_the_function(fnemu: Any) -> None:
    fnemu.deploy("echo", GCF)
    seen = fnemu.call("echo", "GET", "/a/b?x=1").json()
    assert seen["path"] == "/a/b"
    assert seen["url"] == f"{fnemu.url}/a/b?x=1"
    assert seen["same_request"] is True  # flask.request is the request handed over


@pytest.mark.parametrize(("do", "status", "content_type", "body"), [
    ("bytes", 200, "text/html; charset=utf-8", b"\x00\x01raw"),
    ("tuple", 201, "text/html; charset=utf-8", b"made"),
    ("echo", 200, "application/json", None),
    ("abort", 404, "text/html; charset=utf-8", None),
], ids=["bytes", "tuple", "dict", "abort"])
def test_whatever_flask_accepts_becomes_the_response(fnemu: Any, do: str, status: int, content_type: str,
                                                     body: bytes | None) -> None:
    fnemu.deploy("echo", GCF)
    response = fnemu.call("echo", "GET", f"/?do={do}")
    assert response.status_code == status
    assert response.headers["content-type"] == content_type
    if body is not None:
        assert response.content == body
    if do == "tuple":
        assert response.headers["x-kind"] == "tuple"


def test_a_response_object_keeps_its_status_and_every_cookie(fnemu: Any) -> None:
    fnemu.deploy("echo", GCF)
    response = fnemu.call("echo", "GET", "/?do=cookies")
    assert response.status_code == 418 and response.text == "with cookies"
    assert [c.split(";")[0] for c in response.headers.get_list("set-cookie")] == ["a=1", "b=2"]


ENV = ("import json, os\n"
       "def {name}(request):\n"
       "    return {{k: v for k, v in os.environ.items() if k.startswith(('FUNCTION', 'K_', 'PORT', 'AWS_LAMBDA'))}}\n")


def test_google_variables_name_the_service_and_its_entry_point(fnemu: Any) -> None:
    fnemu.deploy("hello-gcf", ENV.format(name="main"))
    assert fnemu.call("hello-gcf").json() == {
        "FUNCTION_TARGET": "main", "FUNCTION_SIGNATURE_TYPE": "http", "K_SERVICE": "hello-gcf",
        "K_REVISION": "hello-gcf-00001", "K_CONFIGURATION": "hello-gcf", "PORT": "8080"}


def test_a_function_named_after_the_function_is_the_entry_point_first(fnemu: Any) -> None:
    """gcloud's default --entry-point is the function's name."""
    code = ENV.format(name="report") + "def main(request):\n    return 'not me'\n"
    fnemu.deploy("report", code)
    assert fnemu.call("report").json()["FUNCTION_TARGET"] == "report"


def test_functions_framework_decorator_marks_the_entry_point(fnemu: Any) -> None:
    code = ("import functions_framework\n"
            "import os\n\n"
            "@functions_framework.http\n"
            "def hello_http(request):\n"
            "    name = (request.get_json(silent=True) or {}).get('name', 'World')\n"
            "    return f\"Hello {name} from {os.environ['FUNCTION_TARGET']}!\"\n")
    fn = fnemu.deploy("greeter", code)
    assert fn["runtime"] == "gcf"
    response = fnemu.call("greeter", "POST", json={"name": "fnemu"})
    assert response.status_code == 200
    assert response.text == "Hello fnemu from hello_http!"


def test_no_entry_point_is_refused_at_deploy_naming_what_to_define(fnemu: Any) -> None:
    response = fnemu.client.http.post("/v1/local/functions", json={
        "name": "nothing", "runtime": "gcf", "code": "def other(request):\n    return 'x'\n"})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "nothing(request) or main(request)" in message


CONTEXTS = ("import flask\n"
            "from flask import after_this_request, current_app, g, url_for\n\n"
            "def main(request):\n"
            "    g.calls = g.get('calls', 0) + 1\n"
            "    if request.args.get('do') == 'trust':\n"
            "        current_app.config['TRUSTED_HOSTS'] = ['elsewhere.example']\n"
            "        return 'trusting elsewhere.example only'\n"
            "    if request.args.get('do') == 'stream':\n"
            "        return (part for part in ['str', 'eamed'])\n"
            "    @after_this_request\n"
            "    def stamp(response):\n"
            "        response.headers['X-After'] = request.full_path\n"
            "        return response\n"
            "    return {'calls_in_g': g.calls, 'method': request.method, 'path': request.path,\n"
            "            'args': request.args.to_dict(), 'host': request.host, 'rule': request.url_rule.rule,\n"
            "            'view_args': request.view_args, 'url_for': url_for('run', path='z', q='1', _external=True)}\n")


def test_every_call_has_its_own_request_g_and_url_binding_even_at_a_url_called_before(fnemu: Any) -> None:
    fnemu.deploy("ctx", CONTEXTS)
    host = fnemu.url.removeprefix("http://")
    calls = [("GET", "/a?x=1", "/a", {"x": "1"}, "/<path:path>", "a"),
             ("POST", "/b/c?y=2", "/b/c", {"y": "2"}, "/<path:path>", "b/c"),
             ("GET", "/a?x=1", "/a", {"x": "1"}, "/<path:path>", "a"),
             ("GET", "/a?x=2", "/a", {"x": "2"}, "/<path:path>", "a"),
             ("DELETE", "/a?x=1", "/a", {"x": "1"}, "/<path:path>", "a"),
             ("GET", "/", "/", {}, "/", ""),
             ("GET", "/a?x=1", "/a", {"x": "1"}, "/<path:path>", "a")]
    for method, url, path, args, rule, path_arg in calls:
        response = fnemu.call("ctx", method, url)
        assert response.status_code == 200
        assert response.headers["x-after"] == f"{path}?{url.partition('?')[2]}"  # after_this_request ran
        assert response.json() == {"calls_in_g": 1, "method": method, "path": path, "args": args, "host": host,
                                   "rule": rule, "view_args": {"path": path_arg},
                                   "url_for": f"{fnemu.url}/z?q=1"}


def test_a_generator_is_streamed_into_the_body(fnemu: Any) -> None:
    fnemu.deploy("ctx", CONTEXTS)
    response = fnemu.call("ctx", "GET", "/?do=stream")
    assert response.status_code == 200
    assert response.text == "streamed"


def test_trusted_hosts_set_at_run_time_hold_for_a_url_called_before(fnemu: Any) -> None:
    """Flask checks TRUSTED_HOSTS while it binds the URL map to the request: a binding kept from an
    earlier call at the same URL must not skip the check."""
    fnemu.deploy("ctx", CONTEXTS)
    assert fnemu.call("ctx", "GET", "/a").status_code == 200
    assert fnemu.call("ctx", "GET", "/?do=trust").status_code == 200
    assert fnemu.call("ctx", "GET", "/a").status_code == 400  # Flask's answer to an untrusted Host
