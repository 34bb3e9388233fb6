"""§2 end-user tokens: issued as HS256 JWTs any JWT library verifies with the emulator's secret;
an http trigger with `auth: required` refuses every other credential with 401, the reason and
`WWW-Authenticate: Bearer`, before any code runs."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from emulator.api.auth import Auth
from tests.api.expect import api_error

COUNTER = """import json
calls = []

def handler(event, context):
    calls.append(1)
    return {"statusCode": 200, "body": json.dumps({"calls": len(calls), "headers": event["headers"],
            "authorizer": event["requestContext"]["authorizer"]})}
"""
OTHER_KEY = "another-emulators-secret-of-32-bytes-or-more"


def _dev(fnemu: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {fnemu.token}"}


def _secret(fnemu: Any) -> str:
    secret: str = fnemu.http.get("/_emu/auth", headers=_dev(fnemu)).json()["secret"]
    return secret


def test_issued_token_verifies_with_pyjwt_and_the_emulators_secret(fnemu) -> None:
    r = fnemu.http.post("/_emu/tokens", headers=_dev(fnemu),
                        json={"sub": "alice", "claims": {"role": "admin", "org": {"id": 7}}, "ttl": 120})
    assert r.status_code == 200 and list(r.json()) == ["token"]
    claims = jwt.decode(r.json()["token"], _secret(fnemu), algorithms=["HS256"], issuer="fnemu")
    assert (claims["sub"], claims["role"], claims["org"], claims["iss"]) == ("alice", "admin", {"id": 7}, "fnemu")
    assert claims["exp"] - claims["iat"] == 120
    assert abs(claims["iat"] - time.time()) < 5


def test_ttl_and_its_older_name_expires_in_are_one_rule(fnemu) -> None:
    token = fnemu.http.post("/_emu/tokens", headers=_dev(fnemu), json={"sub": "a", "expiresIn": 60}).json()["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60
    default = jwt.decode(fnemu.user_token("a"), options={"verify_signature": False})
    assert default["exp"] - default["iat"] == 3600
    for body, field in (({"sub": "a", "ttl": 0}, "ttl"), ({"sub": "a", "expiresIn": 0}, "expiresIn"),
                        ({"sub": "a", "ttl": "1h"}, "ttl"), ({"sub": "a", "ttl": 60, "expiresIn": 60}, "expiresIn")):
        api_error(fnemu.http.post("/_emu/tokens", headers=_dev(fnemu), json=body), 400, field)


def test_auth_info_shows_the_secret_to_the_developer_token_only(fnemu) -> None:
    public = fnemu.http.get("/_emu/auth")
    assert public.status_code == 200 and public.json() == {"issuer": "fnemu", "algorithm": "HS256"}
    user = fnemu.http.get("/_emu/auth", headers={"Authorization": f"Bearer {fnemu.user_token('u')}"})
    assert user.json() == public.json()
    developer = fnemu.http.get("/_emu/auth", headers=_dev(fnemu)).json()
    assert len(developer["secret"].encode()) >= 32


def test_secret_is_random_per_start_unless_given(make_emulator) -> None:
    given = "a-shared-secret-for-tests-that-is-32-bytes-long"
    first, second, fixed = make_emulator(), make_emulator(), make_emulator(jwt_secret=given)
    assert _secret(first) != _secret(second)
    assert _secret(fixed) == given
    claims = jwt.decode(fixed.user_token("bob"), given, algorithms=["HS256"])
    assert claims["sub"] == "bob"
    # a token signed elsewhere with the shared secret passes
    outside = jwt.encode({"sub": "carol", "iss": "fnemu", "iat": int(time.time()), "exp": int(time.time()) + 60},
                         given, algorithm="HS256")
    fixed.deploy("counter", COUNTER)
    assert fixed.call("counter", headers={"Authorization": f"Bearer {outside}"}).status_code == 200


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        Auth("t", "short")


def _claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "mallory", "iss": "fnemu", "iat": now, "exp": now + 600, **extra}


def _bad_tokens(secret: str) -> dict[str, tuple[str | None, str]]:
    """name: (Authorization header, a word of the reason)."""
    good = jwt.encode(_claims(), secret, algorithm="HS256")
    head, _, sig = good.split(".")
    forged_payload = jwt.encode(_claims(role="admin"), secret, algorithm="HS256").split(".")[1]
    now = int(time.time())
    return {
        "missing": (None, "no Authorization"),
        "basic": ("Basic YWxpY2U6cHc=", "not a Bearer"),
        "garbage": ("Bearer not-a-token", "neither"),
        "malformed": ("Bearer aaa.bbb.ccc", "malformed"),
        "forged": (f"Bearer {head}.{forged_payload}.{sig}", "signature"),
        "other-key": (f"Bearer {jwt.encode(_claims(), OTHER_KEY, algorithm='HS256')}", "signature"),
        "expired": (f"Bearer {jwt.encode(_claims(iat=now - 100, exp=now - 10), secret, algorithm='HS256')}",
                    "expired"),
        "alg-none": (f"Bearer {jwt.encode(_claims(), None, algorithm='none')}", "algorithm"),
        "no-exp": (f"Bearer {jwt.encode({'sub': 'x', 'iss': 'fnemu', 'iat': now}, secret, algorithm='HS256')}",
                   "exp"),
        "other-issuer": (f"Bearer {jwt.encode(_claims(iss='someone'), secret, algorithm='HS256')}", "issuer"),
    }


def test_every_bad_credential_is_401_with_the_reason_before_any_code_runs(fnemu) -> None:
    fnemu.deploy("counter", COUNTER)
    for name, (authorization, word) in _bad_tokens(_secret(fnemu)).items():
        headers = {} if authorization is None else {"Authorization": authorization}
        r = fnemu.call("counter", headers=headers, auth=False)
        api_error(r, 401, None, word)
        challenge = r.headers["WWW-Authenticate"]
        assert challenge.startswith('Bearer realm="fnemu"'), (name, challenge)
        if name == "missing":
            assert "error=" not in challenge
        else:
            assert 'error="invalid_token"' in challenge and word in challenge, (name, challenge)
    assert fnemu.logs("counter") == []
    r = fnemu.call("counter")
    assert r.json()["calls"] == 1


def test_management_401_carries_the_bearer_challenge(fnemu) -> None:
    r = fnemu.http.get("/v1/local/functions")
    api_error(r, 401, None)
    assert r.headers["WWW-Authenticate"] == 'Bearer realm="fnemu"'


def test_valid_tokens_pass_with_the_authorization_header_unchanged(fnemu) -> None:
    fnemu.deploy("counter", COUNTER)
    token = fnemu.user_token("alice", role="reader")
    for authorization in (f"Bearer {token}", f"bearer {token}", f"Bearer {fnemu.token}"):
        r = fnemu.call("counter", headers={"Authorization": authorization})
        assert r.status_code == 200, r.text
        assert r.json()["headers"]["Authorization"] == authorization


def test_a_callers_own_claims_header_never_reaches_the_function(fnemu) -> None:
    fnemu.deploy("counter", COUNTER, triggers=[{"type": "http", "config": {"auth": "none"}}])
    forged = {"X-Fnemu-Claims": '{"sub": "admin"}'}
    seen = fnemu.call("counter", headers=forged, auth=False).json()
    assert "X-Fnemu-Claims" not in seen["headers"] and seen["authorizer"]["claims"] is None
    # on a public route a valid end-user token still hands over its claims; an invalid one is ignored
    token = fnemu.user_token("alice")
    seen = fnemu.call("counter", headers={"Authorization": f"Bearer {token}", **forged}).json()
    assert seen["authorizer"]["claims"]["sub"] == "alice"
    assert fnemu.call("counter", headers={"Authorization": "Bearer aaa.bbb.ccc"}).status_code == 200
