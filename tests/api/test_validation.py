"""§3 deploy validation: every bad body is a 400 (or 409) naming the field and the rule, never a 500."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from .expect import OK, api_error

DEPLOY = "/v1/local/functions"

_MISSING = object()


def body_with(**fields: Any) -> dict[str, Any]:
    """A valid deploy body with `fields` replaced (`_MISSING` removes one)."""
    body: dict[str, Any] = {"name": "fn", "code": OK}
    body.update(fields)
    return {k: v for k, v in body.items() if v is not _MISSING}


def http_trigger(**config: Any) -> dict[str, Any]:
    return body_with(triggers=[{"type": "http", "config": config}])


BAD_BODIES = [
    # name: required, 1-100 chars of letters, digits, - and _
    pytest.param(body_with(name=_MISSING), "name", ["required", "1-100"], id="name-missing"),
    pytest.param(body_with(name=""), "name", ["1-100"], id="name-empty"),
    pytest.param(body_with(name="a" * 101), "name", ["1-100"], id="name-101-chars"),
    pytest.param(body_with(name="has space"), "name", ["letters, digits"], id="name-space"),
    pytest.param(body_with(name="a/b"), "name", ["letters, digits"], id="name-slash"),
    pytest.param(body_with(name="a.b"), "name", ["letters, digits"], id="name-dot"),
    pytest.param(body_with(name="héllo"), "name", ["letters, digits"], id="name-non-ascii"),
    pytest.param(body_with(name="abc\n"), "name", ["letters, digits"], id="name-trailing-newline"),
    pytest.param(body_with(name=5), "name", ["1-100"], id="name-number"),
    # code
    pytest.param(body_with(code=_MISSING), "code", ["required"], id="code-missing"),
    pytest.param(body_with(code="   "), "code", ["non-empty"], id="code-blank"),
    pytest.param(body_with(code=["def handler(e, c): pass"]), "code", ["string"], id="code-list"),
    # description
    pytest.param(body_with(description=5), "description", ["string"], id="description-number"),
    pytest.param(body_with(description="x" * 2001), "description", ["at most 2000"], id="description-too-long"),
    # timeoutMs 1-300000, memoryLimitMb 64-1024: integers only
    pytest.param(body_with(timeoutMs=0), "timeoutMs", ["1 to 300000"], id="timeout-0"),
    pytest.param(body_with(timeoutMs=300_001), "timeoutMs", ["1 to 300000"], id="timeout-300001"),
    pytest.param(body_with(timeoutMs=-5), "timeoutMs", ["1 to 300000"], id="timeout-negative"),
    pytest.param(body_with(timeoutMs=True), "timeoutMs", ["integer"], id="timeout-bool"),
    pytest.param(body_with(timeoutMs=1500.5), "timeoutMs", ["integer"], id="timeout-float"),
    pytest.param(body_with(timeoutMs="1000"), "timeoutMs", ["integer"], id="timeout-string"),
    pytest.param(body_with(timeoutMs=10**30), "timeoutMs", ["1 to 300000"], id="timeout-huge"),
    pytest.param(body_with(memoryLimitMb=63), "memoryLimitMb", ["64 to 1024"], id="memory-63"),
    pytest.param(body_with(memoryLimitMb=1025), "memoryLimitMb", ["64 to 1024"], id="memory-1025"),
    pytest.param(body_with(memoryLimitMb=False), "memoryLimitMb", ["integer"], id="memory-bool"),
    pytest.param(body_with(memoryLimitMb=128.5), "memoryLimitMb", ["integer"], id="memory-float"),
    pytest.param(body_with(memoryLimitMb=[128]), "memoryLimitMb", ["integer"], id="memory-list"),
    # envVars: an object of NAME: string
    pytest.param(body_with(envVars=["A"]), "envVars", ["object"], id="env-list"),
    pytest.param(body_with(envVars="A=1"), "envVars", ["object"], id="env-string"),
    pytest.param(body_with(envVars={"A": 1}), "envVars.A", ["string"], id="env-number-value"),
    pytest.param(body_with(envVars={"A": True}), "envVars.A", ["string"], id="env-bool-value"),
    pytest.param(body_with(envVars={"A": None}), "envVars.A", ["string"], id="env-null-value"),
    pytest.param(body_with(envVars={"A": {"x": 1}}), "envVars.A", ["string"], id="env-object-value"),
    pytest.param(body_with(envVars={"1A": "x"}), "envVars.1A", ["not starting with a digit"], id="env-name-digit"),
    pytest.param(body_with(envVars={"A-B": "x"}), "envVars.A-B", ["letters, digits"], id="env-name-dash"),
    pytest.param(body_with(envVars={"": "x"}), "envVars.", ["variable name"], id="env-name-empty"),
    pytest.param(body_with(envVars={"A\n": "x"}), "envVars.A\n", ["variable name"], id="env-name-newline"),
    pytest.param(body_with(envVars={"A": "x\u0000y"}), "envVars.A", ["NUL"], id="env-value-nul"),
    # triggers
    pytest.param(body_with(triggers={"type": "http"}), "triggers", ["array"], id="triggers-object"),
    pytest.param(body_with(triggers=[5]), "triggers[0]", ["object"], id="trigger-item-number"),
    pytest.param(body_with(triggers=[{"type": "ftp"}]), "triggers[0].type", ["unknown trigger type", "'ftp'"],
                 id="trigger-type-unknown"),
    pytest.param(body_with(triggers=[{"config": {}}]), "triggers[0].type", ["unknown trigger type"],
                 id="trigger-type-missing"),
    pytest.param(body_with(triggers=[{"type": "http"}, {"type": "ftp"}]), "triggers[1].type", ["'ftp'"],
                 id="second-trigger-type-unknown"),
    pytest.param(body_with(triggers=[{"type": "http", "cfg": {}}]), "triggers[0].cfg", ["unknown field"],
                 id="trigger-field-unknown"),
    pytest.param(body_with(triggers=[{"type": "http", "config": []}]), "triggers[0].config", ["object"],
                 id="trigger-config-list"),
    pytest.param(http_trigger(verb="GET"), "triggers[0].config.verb", ["unknown http trigger field"],
                 id="http-config-field-unknown"),
    pytest.param(http_trigger(method="FETCH"), "triggers[0].config.method", ["unknown method 'FETCH'"],
                 id="http-method-unknown"),
    pytest.param(http_trigger(method=["GET", "BREW"]), "triggers[0].config.method", ["unknown method 'BREW'"],
                 id="http-method-list-unknown"),
    pytest.param(http_trigger(method=5), "triggers[0].config.method", ["HTTP method"], id="http-method-number"),
    pytest.param(http_trigger(method=[]), "triggers[0].config.method", ["HTTP method"], id="http-method-empty"),
    pytest.param(http_trigger(path="items"), "triggers[0].config.path", ['starting with "/"'],
                 id="http-path-relative"),
    pytest.param(http_trigger(path=5), "triggers[0].config.path", ['starting with "/"'], id="http-path-number"),
    pytest.param(http_trigger(path="/a b"), "triggers[0].config.path", ["bad segment 'a b'"], id="http-path-space"),
    pytest.param(http_trigger(path="/{1id}"), "triggers[0].config.path", ["bad segment"], id="http-path-bad-param"),
    pytest.param(http_trigger(path="/{rest+}/tail"), "triggers[0].config.path", ["last segment"],
                 id="http-path-greedy-not-last"),
    pytest.param(http_trigger(path="/{id}/x/{id}"), "triggers[0].config.path", ["{id}", "twice"],
                 id="http-path-param-twice"),
    pytest.param(http_trigger(auth="optional"), "triggers[0].config.auth", ['"required" or "none"'],
                 id="http-auth-unknown"),
    pytest.param(http_trigger(auth=False), "triggers[0].config.auth", ['"required" or "none"'], id="http-auth-bool"),
    # legacy trigger
    pytest.param(body_with(trigger={"type": "ftp"}), "trigger.type", ["unknown trigger type"],
                 id="legacy-trigger-type-unknown"),
    pytest.param(body_with(trigger=5), "trigger", ["object"], id="legacy-trigger-number"),
    pytest.param(body_with(trigger={"type": "http", "config": {"auth": "maybe"}}), "trigger.config.auth",
                 ["required"], id="legacy-trigger-config"),
    pytest.param(body_with(trigger={"type": "http"}, triggers=[{"type": "http"}]), "trigger", ["not both"],
                 id="trigger-and-triggers"),
    # agent_tool_*
    pytest.param(body_with(agent_tool="yes"), "agent_tool", ["true or false"], id="agent-tool-string"),
    pytest.param(body_with(agent_tool=1), "agent_tool", ["true or false"], id="agent-tool-number"),
    pytest.param(body_with(agent_tool_description=5), "agent_tool_description", ["string"],
                 id="agent-description-number"),
    pytest.param(body_with(agent_tool_description="x" * 501), "agent_tool_description", ["at most 500"],
                 id="agent-description-501"),
    pytest.param(body_with(agent_tool_mode="admin"), "agent_tool_mode", ["read_only, read_write"],
                 id="agent-mode-unknown"),
    pytest.param(body_with(agent_tool_exposed_to="everyone"), "agent_tool_exposed_to",
                 ["developer_only, end_user"], id="agent-exposed-to-unknown"),
    # language, runtime, eventFormat
    pytest.param(body_with(language="ruby"), "language", ["python, node"], id="language-unknown"),
    pytest.param(body_with(language=["python"]), "language", ["python, node"], id="language-list"),
    pytest.param(body_with(code="hello world"), "language", ["could not tell", '"language"'],
                 id="language-undetectable"),
    pytest.param(body_with(runtime="docker"), "runtime", ["web, lambda, gcf, azure, cgi"], id="runtime-unknown"),
    pytest.param(body_with(language="python", runtime="web"), "runtime", ["web style is for node"],
                 id="runtime-web-python"),
    pytest.param(body_with(language="node", runtime="gcf"), "runtime", ["gcf style is for python"],
                 id="runtime-gcf-node"),
    pytest.param(body_with(eventFormat="v3"), "eventFormat", ["v1, v2"], id="event-format-unknown"),
    # unknown top-level field
    pytest.param(body_with(timeout=5), "timeout", ["unknown field"], id="unknown-field"),
    pytest.param(body_with(env={"A": "1"}), "env", ["unknown field"], id="unknown-field-env"),
]


@pytest.mark.parametrize(("body", "field", "words"), BAD_BODIES)
def test_bad_deploy_field_is_400_naming_field_and_rule(fnemu, body: dict[str, Any], field: str,
                                                      words: list[str]) -> None:
    response = fnemu.http.post(DEPLOY, json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(response, 400, field, *words)


@pytest.mark.parametrize(("content", "words"), [
    pytest.param(b'{"name": "fn", ', ["malformed JSON"], id="truncated"),
    pytest.param(b"{'name': 'fn'}", ["malformed JSON"], id="single-quotes"),
    pytest.param(b'{"name": "\xff"}', ["malformed JSON"], id="invalid-utf8"),
    pytest.param(b'{"timeoutMs": NaN}', ["malformed JSON"], id="nan"),
    pytest.param(b"", ["required"], id="empty"),
    pytest.param(b"[]", ["JSON object"], id="array"),
    pytest.param(b'"fn"', ["JSON object"], id="string"),
    pytest.param(b"null", ["JSON object"], id="null"),
])
def test_deploy_body_that_is_not_a_json_object_is_400(fnemu, content: bytes, words: list[str]) -> None:
    response = fnemu.http.post(DEPLOY, content=content, headers={"Authorization": f"Bearer {fnemu.token}",
                                                                  "Content-Type": "application/json"})
    api_error(response, 400, "body", *words)


def test_body_that_does_not_match_its_content_encoding_is_400(fnemu) -> None:
    headers = {"Authorization": f"Bearer {fnemu.token}", "Content-Encoding": "gzip"}
    api_error(fnemu.http.post(DEPLOY, content=b"not gzip", headers=headers), 400, "body", "Content-Encoding")
    # a body that does decode is read as usual, and the server still answers on the same connection
    response = fnemu.http.post(DEPLOY, content=gzip.compress(b"[]"), headers=headers)
    api_error(response, 400, "body", "JSON object")


def test_second_trigger_of_one_type_is_409(fnemu) -> None:
    body = body_with(triggers=[{"type": "http"}, {"type": "http", "config": {"auth": "none"}}])
    response = fnemu.http.post(DEPLOY, json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(response, 409, "triggers[1].type", "at most one http trigger")


def test_rejected_deploy_leaves_nothing_behind(fnemu) -> None:
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    assert fnemu.http.post(DEPLOY, json=body_with(timeoutMs=0), headers=headers).status_code == 400
    assert fnemu.http.post(DEPLOY, json=body_with(triggers=[{"type": "http"}] * 2), headers=headers).status_code == 409
    assert fnemu.client.list() == []
    assert fnemu.http.get(f"{DEPLOY}/fn", headers=headers).status_code == 404


def test_legacy_trigger_becomes_a_one_element_triggers_array(fnemu) -> None:
    fn = fnemu.deploy("legacy", OK, trigger={"type": "http", "config": {"auth": "none", "method": "get"}})
    assert fn["triggers"] == [{"type": "http", "config": {"method": "GET", "auth": "none"}}]
    assert "trigger" not in fn
    assert fnemu.call("legacy", auth=False).text == "ok"


def test_trigger_configs_are_echoed_with_defaults_filled_in(fnemu) -> None:
    fn = fnemu.deploy("configs", OK, triggers=[{"type": "http"}])
    assert fn["triggers"] == [{"type": "http", "config": {"method": "ANY", "auth": "required"}}]
    fn = fnemu.deploy("configs", OK, triggers=[
        {"type": "http", "config": {"method": ["get", "post"], "path": "//items//{id}/"}}])
    assert fn["triggers"] == [{"type": "http", "config": {"method": ["GET", "POST"], "path": "/items/{id}",
                                                          "auth": "required"}}]
    fn = fnemu.deploy("configs", OK, triggers=[])
    assert fn["triggers"] == []


def test_boundary_values_are_accepted(fnemu) -> None:
    name = "a-Z_0" * 20
    fn = fnemu.deploy(name, OK, timeoutMs=1, memoryLimitMb=64, agent_tool_description="d" * 500,
                      description="x" * 2000, envVars={"_A1": ""})
    assert (fn["name"], fn["timeoutMs"], fn["memoryLimitMb"], fn["envVars"]) == (name, 1, 64, ["_A1"])
    fn = fnemu.deploy(name, OK, timeoutMs=300_000, memoryLimitMb=1024)
    assert (fn["timeoutMs"], fn["memoryLimitMb"], fn["version"]) == (300_000, 1024, 2)


def test_language_runtime_and_event_format_are_detected_or_echoed(fnemu) -> None:
    fn = fnemu.deploy("styles", OK)
    assert (fn["language"], fn["runtime"], fn["eventFormat"]) == ("python", "lambda", "v1")
    fn = fnemu.deploy("styles", OK, language="python", runtime="lambda", eventFormat="v2")
    assert (fn["language"], fn["runtime"], fn["eventFormat"]) == ("python", "lambda", "v2")


def test_read_only_fields_sent_back_are_ignored(fnemu) -> None:
    fn = fnemu.deploy("echo-back", OK)
    body = {k: v for k, v in fn.items() if k != "envVars"} | {"code": OK, "version": 99, "source": "folder"}
    response = fnemu.http.post(DEPLOY, json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    assert response.status_code == 200, response.text
    assert (response.json()["version"], response.json()["source"]) == (2, "api")


ODD_VALUES = [None, True, 0, -1, 1.5, 1e300, "", "\u0000", "x" * 3000, [], [None], [{}], {}, {"": None},
              {"type": "http", "config": {"path": "/{a}/{a}"}}]
FIELDS = ["name", "code", "description", "envVars", "timeoutMs", "memoryLimitMb", "triggers", "trigger",
          "agent_tool", "agent_tool_description", "agent_tool_mode", "agent_tool_exposed_to", "language",
          "runtime", "eventFormat", "debug"]


def test_no_odd_value_in_any_field_makes_a_500(fnemu) -> None:
    """Every field gets every odd value; a bad `agent_tool_exposed_to` beside it keeps the whole sweep from
    starting workers, except when that field itself is swept."""
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    for field in FIELDS:
        for value in ODD_VALUES:
            body = body_with(agent_tool_exposed_to="nobody") | {field: value}
            response = fnemu.http.post(DEPLOY, json=body, headers=headers)
            assert response.status_code in (200, 201, 400, 409), (field, value, response.text)
            if response.status_code >= 400:
                api_error(response, response.status_code, response.json()["error"]["field"])
