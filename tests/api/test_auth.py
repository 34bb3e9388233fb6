"""§2 auth on management and control calls, §3 404/405 of the routes, §7 health and end-user tokens."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
import yaml

import emulator
from emulator import __version__

from .expect import OK, api_error

# Every management and control call, with a body that would be valid.
CALLS = [
    ("POST", "/v1/local/functions", {"name": "fn", "code": OK}),
    ("GET", "/v1/local/functions", None),
    ("GET", "/v1/local/functions/fn", None),
    ("DELETE", "/v1/local/functions/fn", None),
    ("POST", "/v1/local/functions/fn/invoke", {}),
    ("GET", "/v1/local/functions/fn/logs", None),
    ("PATCH", "/v1/local/functions/fn/env", {"envVars": {"A": "1"}}),
    ("POST", "/_emu/tokens", {"sub": "user-1"}),
    ("POST", "/_emu/reset", None),
]


@pytest.mark.parametrize("authorization", [
    pytest.param(None, id="missing"),
    pytest.param("Bearer wrong-token", id="wrong"),
    pytest.param("Bearer", id="empty"),
    pytest.param("Basic Zm5lbXUtZGV2LXRva2Vu", id="basic-scheme"),
    pytest.param("fnemu-dev-token", id="no-scheme"),
])
def test_management_call_without_the_developer_token_is_401(fnemu, authorization) -> None:
    fnemu.deploy("fn", OK)
    headers = {"Authorization": authorization} if authorization else {}
    for method, path, body in CALLS:
        response = fnemu.http.request(method, path, json=body, headers=headers)
        api_error(response, 401, None, "developer token")
    assert fnemu.client.get("fn")["version"] == 1


def test_management_call_with_an_end_user_token_is_403(fnemu) -> None:
    fnemu.deploy("fn", OK)
    headers = {"Authorization": f"Bearer {fnemu.user_token('user-1')}"}
    for method, path, body in CALLS:
        response = fnemu.http.request(method, path, json=body, headers=headers)
        api_error(response, 403, None, "end-user token")
    assert fnemu.client.get("fn")["version"] == 1


def test_undecodable_authorization_header_is_401_not_500(fnemu) -> None:
    response = fnemu.http.get("/v1/local/functions", headers={"Authorization": b"Bearer \xff\xfe"})
    api_error(response, 401, None)


def test_developer_token_is_the_configured_one(make_emulator) -> None:
    emu = make_emulator(token="x")
    assert emu.http.get("/v1/local/functions", headers={"Authorization": "Bearer x"}).status_code == 200
    response = emu.http.get("/v1/local/functions", headers={"Authorization": "Bearer fnemu-dev-token"})
    api_error(response, 401, None)


def test_unknown_function_is_404_on_every_route(fnemu) -> None:
    fnemu.deploy("fn", OK)
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    for method, path in [
        ("GET", "/v1/local/functions/ghost"),
        ("DELETE", "/v1/local/functions/ghost"),
        ("POST", "/v1/local/functions/ghost/invoke"),
        ("GET", "/v1/local/functions/ghost/logs"),
        ("GET", "/v1/local/functions/ghost/logs?include_deleted=true"),
        ("PATCH", "/v1/local/functions/ghost/env"),
        ("GET", "/v1/local/fn/ghost"),
        ("POST", "/v1/local/fn/ghost/some/path"),
        ("GET", "/v1/other-app/functions/fn"),
        ("GET", "/v1/other-app/fn/fn"),
    ]:
        body = {"envVars": {"A": "1"}} if method == "PATCH" else None
        response = fnemu.http.request(method, path, json=body, headers=headers)
        api_error(response, 404, "name", "not found")


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/local", "/v1/local/nothing", "/v1/local/functions/fn/extra",
                                  "/_emu/nothing"])
def test_unknown_route_is_404(fnemu, path) -> None:
    response = fnemu.http.get(path, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(response, 404, None, "no route", path)


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/v1/local/functions", {"GET", "HEAD", "POST"}),
    ("DELETE", "/v1/local/functions", {"GET", "HEAD", "POST"}),
    ("POST", "/v1/local/functions/fn", {"GET", "HEAD", "DELETE"}),
    ("PUT", "/v1/local/functions/fn", {"GET", "HEAD", "DELETE"}),
    ("GET", "/v1/local/functions/fn/invoke", {"POST"}),
    ("DELETE", "/v1/local/functions/fn/logs", {"GET", "HEAD"}),
    ("GET", "/v1/local/functions/fn/env", {"PATCH"}),
    ("POST", "/_emu/health", {"GET", "HEAD"}),
])
def test_wrong_method_on_a_management_route_is_405_with_allow(fnemu, method, path, allow) -> None:
    response = fnemu.http.request(method, path, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(response, 405, None, f"{method} is not allowed")
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == allow


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "developer", "end-user"])
def test_health_answers_ok_and_the_version_to_anyone(fnemu, authorization) -> None:
    """A health check carries no token; the answer holds nothing a token guards."""
    token = {"developer": fnemu.token, "end-user": fnemu.user_token("user-1")}.get(authorization)
    headers = {"Authorization": f"Bearer {token}" if token else authorization} if authorization else {}
    response = fnemu.http.get("/_emu/health", headers=headers)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}


def test_every_operation_the_openapi_file_guards_refuses_an_anonymous_call(fnemu) -> None:
    """The file's `security` is the truth: only the operations it marks public (`security: []`,
    or an anonymous `{}` alternative: a function's own `auth: none`) answer without a token."""
    doc = yaml.safe_load((Path(emulator.__file__).parent / "openapi.yaml").read_text())
    fnemu.deploy("fn", OK)
    public, guarded = set(), 0
    for template, item in doc["paths"].items():
        path = template.format(app_id="local", name="fn", id="x", rest="x", asset="app.js", bucket="b", key="k",
                               kind="s3")
        for method, op in item.items():
            security = op.get("security", doc["security"]) if isinstance(op, dict) else None
            if security is None or {} in security:
                continue
            response = fnemu.http.request(method.upper(), path)
            if security == []:  # answers without a token (one that needs a body: 400 without it)
                public.add(template)
                expected = 400 if op.get("requestBody", {}).get("required") else 200
                assert response.status_code == expected, (method, template, response.text)
            else:
                guarded += 1
                assert response.status_code == 401, (method, template, response.text)
    assert public == {"/_emu/health", "/_emu/openapi.yaml", "/_emu/auth", "/_emu/ui", "/_emu/ui/login",
                      "/_emu/ui/{asset}"}
    assert guarded > 20


def test_token_is_an_hs256_jwt_with_sub_claims_and_exp(fnemu) -> None:
    response = fnemu.http.post("/_emu/tokens", headers={"Authorization": f"Bearer {fnemu.token}"},
                               json={"sub": "user-1", "claims": {"role": "admin", "org": {"id": 7}},
                                     "expiresIn": 120})
    assert response.status_code == 200
    assert list(response.json()) == ["token"]
    token = response.json()["token"]
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["sub"], claims["role"], claims["org"]) == ("user-1", "admin", {"id": 7})
    assert claims["exp"] - claims["iat"] == 120


def test_token_claims_cannot_override_exp(fnemu) -> None:
    response = fnemu.http.post("/_emu/tokens", headers={"Authorization": f"Bearer {fnemu.token}"},
                               json={"sub": "user-1", "claims": {"exp": 1, "sub": "someone-else"}})
    token = response.json()["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == "user-1"
    assert claims["exp"] > claims["iat"]


@pytest.mark.parametrize(("body", "field", "words"), [
    pytest.param({}, "sub", ["required"], id="sub-missing"),
    pytest.param({"sub": ""}, "sub", ["non-empty"], id="sub-empty"),
    pytest.param({"sub": 5}, "sub", ["string"], id="sub-number"),
    pytest.param({"sub": "u", "claims": ["admin"]}, "claims", ["object"], id="claims-list"),
    pytest.param({"sub": "u", "expiresIn": 0}, "expiresIn", ["1 to 31536000"], id="expires-0"),
    pytest.param({"sub": "u", "expiresIn": True}, "expiresIn", ["integer"], id="expires-bool"),
    pytest.param({"sub": "u", "expiresIn": 1.5}, "expiresIn", ["integer"], id="expires-float"),
    pytest.param({"sub": "u", "role": "admin"}, "role", ["unknown field"], id="unknown-field"),
    pytest.param(["u"], "body", ["JSON object"], id="body-list"),
])
def test_bad_token_request_is_400(fnemu, body, field, words) -> None:
    response = fnemu.http.post("/_emu/tokens", json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(response, 400, field, *words)


def test_malformed_token_request_is_400(fnemu) -> None:
    response = fnemu.http.post("/_emu/tokens", content=b"{sub", headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(response, 400, "body", "malformed JSON")
