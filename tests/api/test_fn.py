"""§2, §3, §6 http: `ANY /v1/{app_id}/fn/{name}[/rest]` with the http trigger's auth, method and path."""

from __future__ import annotations

import json

import jwt

from .expect import api_error

ECHO = '''import json

def handler(event, context):
    print("the function ran")
    headers = {k.lower(): v for k, v in (event["headers"] or {}).items()}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps({
        "method": event["httpMethod"], "path": event["path"], "resource": event["resource"],
        "pathParameters": event["pathParameters"], "body": event["body"],
        "authorization": headers.get("authorization"),
    })}
'''


def echo(fnemu, name: str = "echo", **config) -> None:
    fnemu.deploy(name, ECHO, triggers=[{"type": "http", "config": config}])


def test_auth_required_by_default_rejects_anonymous_before_any_code_runs(fnemu) -> None:
    fnemu.deploy("private", ECHO)
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Bearer a.b.c"}):
        response = fnemu.call("private", "POST", "/x", json={"a": 1}, headers=headers, auth=False)
        api_error(response, 401, None, "needs auth")
    assert fnemu.logs("private") == []
    assert fnemu.client.get("private")["metrics"]["total_invocations"] == 0


def test_auth_required_accepts_the_developer_token(fnemu) -> None:
    fnemu.deploy("private", ECHO)
    response = fnemu.call("private")
    assert response.status_code == 200
    assert response.json()["authorization"] == f"Bearer {fnemu.token}"


def test_end_user_token_passes_and_its_authorization_header_reaches_the_function_unchanged(fnemu) -> None:
    fnemu.deploy("private", ECHO)
    token = fnemu.user_token("user-1", role="reader")
    response = fnemu.call("private", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json()["authorization"] == f"Bearer {token}"


def test_end_user_token_with_a_bad_signature_is_401(fnemu) -> None:
    fnemu.deploy("private", ECHO)
    header, payload, signature = fnemu.user_token("user-1").split(".")
    tampered = f"{header}.{payload}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    foreign = jwt.encode({"sub": "user-1", "exp": 4102444800}, "another-secret-that-is-long-enough!", "HS256")
    for token in (tampered, foreign):
        api_error(fnemu.call("private", headers={"Authorization": f"Bearer {token}"}), 401, None)
    assert fnemu.logs("private") == []


def test_auth_none_is_public(fnemu) -> None:
    echo(fnemu, "public", auth="none")
    response = fnemu.call("public", auth=False)
    assert response.status_code == 200
    assert response.json()["authorization"] is None


def test_method_restriction_is_405_with_allow_and_runs_no_code(fnemu) -> None:
    echo(fnemu, "getter", method="GET", auth="none")
    response = fnemu.call("getter", "POST", json={})
    api_error(response, 405, None, "POST is not allowed", "GET")
    assert response.headers["Allow"] == "GET, HEAD"
    assert fnemu.call("getter", "HEAD").status_code == 200
    assert fnemu.call("getter", "GET").json()["method"] == "GET"
    assert [e["method"] for e in fnemu.logs("getter")] == ["GET", "HEAD"]


def test_method_list_allows_each_listed_method(fnemu) -> None:
    echo(fnemu, "writer", method=["post", "PUT"])
    assert fnemu.call("writer", "POST").json()["method"] == "POST"
    assert fnemu.call("writer", "PUT").json()["method"] == "PUT"
    response = fnemu.call("writer", "DELETE")
    api_error(response, 405, None)
    assert response.headers["Allow"] == "POST, PUT"


def test_any_method_by_default(fnemu) -> None:
    fnemu.deploy("any", ECHO)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        assert fnemu.call("any", method).json()["method"] == method


def test_path_template_gives_path_parameters_and_resource(fnemu) -> None:
    echo(fnemu, "items", path="/items/{id}/parts/{part}")
    got = fnemu.call("items", path="/items/42/parts/a%20b").json()
    assert got["resource"] == "/items/{id}/parts/{part}"
    assert got["path"] == "/items/42/parts/a b"
    assert got["pathParameters"] == {"id": "42", "part": "a b"}
    assert fnemu.call("items", path="/items/42/parts/x/").json()["pathParameters"] == {"id": "42", "part": "x"}


def test_greedy_path_parameter_takes_the_rest(fnemu) -> None:
    echo(fnemu, "files", path="/files/{proxy+}")
    got = fnemu.call("files", path="/files/a/b/c.txt").json()
    assert (got["resource"], got["pathParameters"]) == ("/files/{proxy+}", {"proxy": "a/b/c.txt"})


def test_path_that_does_not_match_the_template_is_404_and_runs_no_code(fnemu) -> None:
    echo(fnemu, "items", path="/items/{id}")
    for path in ("", "/items", "/items/1/2", "/other/1"):
        api_error(fnemu.call("items", path=path), 404, None, "/items/{id}")
    assert fnemu.logs("items") == []


def test_without_a_path_the_function_sees_root_or_greedy_proxy(fnemu) -> None:
    fnemu.deploy("proxy", ECHO)
    root = fnemu.call("proxy").json()
    assert (root["path"], root["resource"], root["pathParameters"]) == ("/", "/", None)
    deep = fnemu.call("proxy", path="/a/b").json()
    assert (deep["path"], deep["resource"], deep["pathParameters"]) == ("/a/b", "/{proxy+}", {"proxy": "a/b"})


def test_function_without_an_http_trigger_is_404_at_fn(fnemu) -> None:
    fnemu.deploy("internal", ECHO, triggers=[])
    api_error(fnemu.call("internal"), 404, "name", "no http trigger")
    assert fnemu.invoke("internal")["status_code"] == 200


def test_request_body_reaches_the_function(fnemu) -> None:
    fnemu.deploy("echo", ECHO)
    assert json.loads(fnemu.call("echo", "POST", json={"a": [1, 2]}).json()["body"]) == {"a": [1, 2]}


def test_undecodable_header_bytes_reach_the_function_instead_of_a_500(fnemu) -> None:
    fnemu.deploy("echo", ECHO)
    response = fnemu.call("echo", headers={"X-Raw": b"caf\xe9"})
    assert response.status_code == 200
    assert fnemu.logs("echo")[0]["status_code"] == 200


def test_body_over_the_limit_is_413_on_deploy_invoke_and_fn(make_emulator) -> None:
    emu = make_emulator(max_body_bytes=1024)
    auth = {"Authorization": f"Bearer {emu.token}"}
    code = "def handler(event, context):\n    return {'statusCode': 200, 'body': str(len(event['body'] or ''))}\n"
    emu.deploy("size", code)
    big = "x" * 1025
    api_error(emu.http.post("/v1/local/functions", headers=auth, json={"name": "b", "code": big}),
              413, "body", "1024 bytes")
    api_error(emu.http.post("/v1/local/functions/size/invoke", headers=auth, json={"body": big}), 413, "body")
    api_error(emu.call("size", "POST", content=big.encode()), 413, "body", "1024 bytes")
    assert emu.call("size", "POST", content=b"x" * 1024).text == "1024"
    assert [e["status_code"] for e in emu.logs("size")] == [200]
