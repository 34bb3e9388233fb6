"""§3 JSON bodies at the edge: one depth limit for every JSON the API takes (400 naming the field,
never a 500 when the value is written out again), and one rule for integers."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from emulator.api.body import MAX_JSON_DEPTH

from .expect import OK, api_error


def nested(depth: int, kind: str = "list") -> Any:
    """A value of exactly `depth` levels of arrays (or objects)."""
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"k": value}
    return value


def nested_text(depth: int, kind: str = "list") -> str:
    """The same as JSON text, for depths no JSON encoder writes."""
    return ("[" * depth + "1" + "]" * depth) if kind == "list" else ('{"k":' * depth + "1" + "}" * depth)


def _dev(fnemu: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {fnemu.token}"}


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 255, 5000])
@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deep_test_invoke_body_is_400_naming_body(fnemu: Any, depth: int, kind: str) -> None:
    fnemu.deploy("deep", OK)
    r = fnemu.http.post("/v1/local/functions/deep/invoke", content=f'{{"body": {nested_text(depth, kind)}}}',
                        headers=_dev(fnemu))
    if depth < 1024:  # orjson's own parser refuses 1024 levels and more as malformed
        api_error(r, 400, "body", f"deeper than {MAX_JSON_DEPTH} levels")
    else:
        api_error(r, 400, "body", "malformed JSON")


def test_test_invoke_body_at_the_limit_runs(fnemu: Any) -> None:
    fnemu.deploy("deep", "def handler(event, context):\n    return {'statusCode': 200, 'body': event['body']}\n")
    body = nested(MAX_JSON_DEPTH - 1)  # the envelope {"body": ...} is the first level
    r = fnemu.http.post("/v1/local/functions/deep/invoke", json={"body": body}, headers=_dev(fnemu))
    assert r.status_code == 200, r.text
    assert r.json()["status_code"] == 200


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 975, 1000])
def test_deep_token_claims_are_400_naming_claims(fnemu: Any, depth: int) -> None:
    r = fnemu.http.post("/_emu/tokens", content=f'{{"sub": "u", "claims": {nested_text(depth, "dict")}}}',
                        headers=_dev(fnemu))
    api_error(r, 400, "claims", f"deeper than {MAX_JSON_DEPTH} levels")


def test_token_claims_at_the_limit_are_signed(fnemu: Any) -> None:
    claims = {"deep": nested(MAX_JSON_DEPTH - 2, "dict")}
    r = fnemu.http.post("/_emu/tokens", json={"sub": "u", "claims": claims}, headers=_dev(fnemu))
    assert r.status_code == 200, r.text
    assert jwt.decode(r.json()["token"], options={"verify_signature": False})["deep"] == claims["deep"]


@pytest.mark.parametrize(("path", "method", "body", "field"), [
    ("/v1/local/functions", "POST", {"name": "fn", "code": OK, "triggers": nested(MAX_JSON_DEPTH)}, "triggers"),
    ("/v1/local/functions/fn/env", "PATCH", {"envVars": nested(MAX_JSON_DEPTH, "dict")}, "envVars"),
    ("/_emu/clock/advance", "POST", {"seconds": nested(MAX_JSON_DEPTH)}, "seconds"),
    ("/_emu/tokens", "POST", nested(MAX_JSON_DEPTH + 1), "body"),
])
def test_every_json_body_has_the_limit(fnemu: Any, path: str, method: str, body: Any, field: str) -> None:
    fnemu.deploy("fn", OK)
    r = fnemu.http.request(method, path, json=body, headers=_dev(fnemu))
    api_error(r, 400, field, f"deeper than {MAX_JSON_DEPTH} levels")


def test_integral_floats_are_integers_everywhere(fnemu: Any) -> None:
    """JSON Schema's `integer` takes 3000.0; so does every integer field the server reads."""
    fn = fnemu.deploy("floats", OK, timeoutMs=3000.0, memoryLimitMb=256.0)
    assert (fn["timeoutMs"], fn["memoryLimitMb"]) == (3000, 256)
    assert isinstance(fn["timeoutMs"], int)
    r = fnemu.http.post("/_emu/tokens", json={"sub": "u", "expiresIn": 3600.0}, headers=_dev(fnemu))
    assert r.status_code == 200, r.text
    claims = jwt.decode(r.json()["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 3600


@pytest.mark.parametrize(("value", "field"), [("1.5", "timeoutMs"), ("1e300", "timeoutMs"), ("1e400", "body")])
def test_non_integral_or_huge_numbers_are_400(fnemu: Any, value: str, field: str) -> None:
    text = json.dumps({"name": "fn", "code": OK, "timeoutMs": 0}).replace('"timeoutMs": 0', f'"timeoutMs": {value}')
    r = fnemu.http.post("/v1/local/functions", content=text, headers=_dev(fnemu))
    api_error(r, 400, field)


def test_null_triggers_mean_the_default(fnemu: Any) -> None:
    fn = fnemu.deploy("nulls", OK, triggers=None)
    assert fn["triggers"] == [{"type": "http", "config": {"method": "ANY", "auth": "required"}}]
    fn = fnemu.deploy("nulls", OK, triggers=None, trigger={"type": "http", "config": {"auth": "none"}})
    assert fn["triggers"] == [{"type": "http", "config": {"method": "ANY", "auth": "none"}}]
    fn = fnemu.deploy("nulls", OK, triggers=[], trigger=None)
    assert fn["triggers"] == []
