"""§2 a function called with a valid end-user token gets its verified claims where its platform
puts them: `requestContext.authorizer.claims` (lambda v1), `requestContext.authorizer.jwt.claims`
(lambda v2), an `X-Fnemu-Claims` JSON header (web, gcf, azure; HTTP_X_FNEMU_CLAIMS for cgi)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from emulator.events.apigw import event_v1, event_v2
from tests.events.shapes import aws_sample, shape_differences
from tests.events.test_aws_shapes import (V1_SAMPLE_REQUEST, V2_EXTRA, V2_MAPS, V2_OPTIONAL, V2_SAMPLE_REQUEST,
                                          v1_differences)
from tests.helpers import fixture_code

CLAIMS = {"role": "admin", "org": {"id": 7}, "tags": ["a", "b"], "name": "Zoë"}

NODE_LAMBDA = """exports.handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({authorizer: event.requestContext.authorizer ?? null,
                        authorization: event.headers.authorization ?? event.headers.Authorization}),
});
"""
PY_LAMBDA = """import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"authorizer": event["requestContext"].get("authorizer")})}
"""


def _call(fnemu: Any, name: str, token: str, path: str = "") -> Any:
    r = fnemu.call(name, path=path, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def _verified(fnemu: Any, token: str) -> dict[str, Any]:
    """The claims as verified: the token's own, `sub`, `iss`, `iat` and `exp` included."""
    import jwt

    return jwt.decode(token, options={"verify_signature": False})


@pytest.mark.parametrize("language", ["python", "node"])
def test_lambda_v1_gets_the_claims_in_authorizer_claims(fnemu: Any, language: str) -> None:
    fnemu.deploy("fn", PY_LAMBDA if language == "python" else NODE_LAMBDA)
    token = fnemu.user_token("alice", **CLAIMS)
    authorizer = _call(fnemu, "fn", token)["authorizer"]
    assert authorizer == {"claims": _verified(fnemu, token), "scopes": None}
    assert authorizer["claims"]["sub"] == "alice" and authorizer["claims"]["org"] == {"id": 7}
    # the developer token is no end user: no claims, as when no authorizer ran
    assert _call(fnemu, "fn", fnemu.token)["authorizer"] == {"claims": None, "scopes": None}


@pytest.mark.parametrize("language", ["python", "node"])
def test_lambda_v2_gets_the_claims_in_authorizer_jwt_claims(fnemu: Any, language: str) -> None:
    fnemu.deploy("fn", PY_LAMBDA if language == "python" else NODE_LAMBDA, eventFormat="v2")
    token = fnemu.user_token("alice", **CLAIMS)
    authorizer = _call(fnemu, "fn", token)["authorizer"]
    assert authorizer == {"jwt": {"claims": _verified(fnemu, token), "scopes": None}}
    assert _call(fnemu, "fn", fnemu.token)["authorizer"] is None


def test_web_gcf_and_azure_get_the_claims_header(fnemu: Any) -> None:
    fnemu.deploy("web", fixture_code("node/web_echo.mjs"))
    fnemu.deploy("gcf", fixture_code("python/gcf_echo.py"), runtime="gcf")
    fnemu.deploy("azure", fixture_code("python/azure_echo.py"), runtime="azure")
    token = fnemu.user_token("alice", **CLAIMS)
    for name in ("web", "gcf", "azure"):
        headers = {k.lower(): v for k, v in _call(fnemu, name, token)["headers"].items()}
        assert json.loads(headers["x-fnemu-claims"]) == _verified(fnemu, token), name
        assert headers["authorization"] == f"Bearer {token}", name
        developer = {k.lower() for k in _call(fnemu, name, fnemu.token)["headers"]}
        assert "x-fnemu-claims" not in developer, name


def test_cgi_gets_the_claims_variable_and_remote_user(fnemu: Any) -> None:
    fnemu.deploy("cgi", fixture_code("cgi/script.py"), runtime="cgi", language="python")
    token = fnemu.user_token("alice", **CLAIMS)
    env = _call(fnemu, "cgi", token)["env"]
    assert json.loads(env["HTTP_X_FNEMU_CLAIMS"]) == _verified(fnemu, token)
    assert env["REMOTE_USER"] == "alice" and env["AUTH_TYPE"] == "Bearer"
    env = _call(fnemu, "cgi", fnemu.token)["env"]
    assert "HTTP_X_FNEMU_CLAIMS" not in env and "REMOTE_USER" not in env


POWERTOOLS = """import json
from aws_lambda_powertools.event_handler import {resolver}

app = {resolver}()


@app.get("/me")
def me():
    authorizer = app.current_event.request_context.authorizer
    return {{"claims": {read}}}


def lambda_handler(event, context):
    return app.resolve(event, context)
"""


@pytest.mark.parametrize(("event_format", "resolver", "read"), [
    ("v1", "APIGatewayRestResolver", "authorizer.claims"),
    ("v2", "APIGatewayHttpResolver", "authorizer.jwt_claim"),
])
def test_powertools_resolvers_read_the_claims(fnemu: Any, event_format: str, resolver: str, read: str) -> None:
    fnemu.deploy("me", POWERTOOLS.format(resolver=resolver, read=read), eventFormat=event_format)
    token = fnemu.user_token("alice", role="admin")
    claims = _call(fnemu, "me", token, path="/me")["claims"]
    assert (claims["sub"], claims["role"], claims["iss"]) == ("alice", "admin", "fnemu")


CLAIMED = {"sub": "alice", "role": "admin"}
"""String values, as in AWS's samples (AWS turns every claim into a string; fnemu keeps each
claim's JSON type, so `exp` stays a number: the README says so)."""


def test_v1_event_with_claims_differs_from_the_sample_only_in_the_claims() -> None:
    """AWS's sample ran without an authorizer (claims null); with a Cognito user pool authorizer
    API Gateway puts the token's claims object there and keeps `scopes`."""
    event = event_v1(replace(V1_SAMPLE_REQUEST, claims=CLAIMED), request_id="r", app_id="local", now=0.0)
    assert event["requestContext"]["authorizer"] == {"claims": CLAIMED, "scopes": None}
    assert v1_differences(event) == ["requestContext.authorizer.claims: object where AWS has null"]


def test_v2_event_with_claims_has_the_jwt_authorizer_samples_shape() -> None:
    """The v2 sample is taken behind a JWT authorizer: the same keys, `scopes` null where the
    sample's route required scopes (fnemu's routes require none)."""
    event = event_v2(replace(V2_SAMPLE_REQUEST, claims=CLAIMED), request_id="r", app_id="local", now=0.0)
    assert event["requestContext"]["authorizer"] == {"jwt": {"claims": CLAIMED, "scopes": None}}
    differences = shape_differences(event, aws_sample("apigw_v2"), maps=(*V2_MAPS, "requestContext.authorizer.jwt.claims"),
                                    optional=set(V2_OPTIONAL) - {"requestContext.authorizer"}, extra=V2_EXTRA)
    assert differences == ["requestContext.authorizer.jwt.scopes: null where AWS has array"]
    without = event_v2(V2_SAMPLE_REQUEST, request_id="r", app_id="local", now=0.0)
    assert "authorizer" not in without["requestContext"]
