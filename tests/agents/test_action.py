"""§8 the seed 000 action: `POST /v1/action/serverless_function` runs Lambda-style code once and
answers `{"status", "response": {output_variable_name: body}}`; every rule of the seed's schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.agents.action import ACTION_APP
from emulator.keys import REGISTRY
from tests.helpers import SEED_000_CODE

PATH = "/v1/action/serverless_function"
NODE = """exports.handler = async (event) => ({
  statusCode: 201,
  body: JSON.stringify({got: JSON.parse(event.body).context, pid: process.pid}),
});
"""
PID = "import json, os\n\ndef lambda_handler(event, context):\n    return {'statusCode': 200, 'body': json.dumps(os.getpid())}\n"


def _run(fnemu: Any, body: Any, token: str | None = "dev") -> Any:
    headers = {} if token is None else {"Authorization": f"Bearer {fnemu.token if token == 'dev' else token}"}
    return fnemu.http.post(PATH, json=body, headers=headers)


def _action_entries(fnemu: Any) -> list[Any]:
    registry = fnemu.server.app[REGISTRY]
    return [e for fn in registry.list(ACTION_APP) for e in fn.log.newest_first()]


def test_the_seeds_default_code_runs_unchanged(fnemu: Any) -> None:
    r = _run(fnemu, {"language": "python", "serverless_code": SEED_000_CODE, "output_variable_name": "result",
                     "context": {"user": "ada", "n": 3}})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == 200 and list(answer["response"]) == ["result"]
    result = answer["response"]["result"]
    assert result["message"].startswith("Go Agent.AI Serverless Python Functions v1.0!")
    assert result["context"] == {"user": "ada", "n": 3}
    assert json.loads(result["input"]["body"]) == {"context": {"user": "ada", "n": 3}}
    assert result["input"]["httpMethod"] == "POST"
    (entry,) = _action_entries(fnemu)
    assert (entry.trigger, entry.status_code, entry.method) == ("action", 200, "POST")


def test_a_node_handler_and_a_missing_context(fnemu: Any) -> None:
    answer = _run(fnemu, {"language": "node", "serverless_code": NODE, "output_variable_name": "api_response"}).json()
    assert answer["status"] == 201
    assert answer["response"]["api_response"]["got"] == {}


def test_a_body_that_is_not_json_is_kept_as_text(fnemu: Any) -> None:
    code = "def lambda_handler(event, context):\n    return {'statusCode': 404, 'body': 'nothing here'}\n"
    r = _run(fnemu, {"language": "python", "serverless_code": code, "output_variable_name": "out"})
    assert r.status_code == 200 and r.json() == {"status": 404, "response": {"out": "nothing here"}}


def test_the_same_code_reuses_its_warm_worker(fnemu: Any) -> None:
    body = {"language": "python", "serverless_code": PID, "output_variable_name": "pid"}
    first = _run(fnemu, body).json()["response"]["pid"]
    second = _run(fnemu, {**body, "context": {"other": True}}).json()["response"]["pid"]
    assert first == second
    other = _run(fnemu, {**body, "serverless_code": PID + "\n# changed\n"}).json()["response"]["pid"]
    assert other != first
    assert len(fnemu.server.app[REGISTRY].list(ACTION_APP)) == 2


def test_the_cache_is_bounded(fnemu: Any) -> None:
    runner_size = 16
    for i in range(runner_size + 2):
        code = f"def lambda_handler(event, context):\n    return {{'statusCode': 200, 'body': '{i}'}}\n"
        assert _run(fnemu, {"language": "python", "serverless_code": code, "output_variable_name": "v"}).json()[
            "response"] == {"v": i}
    assert len(fnemu.server.app[REGISTRY].list(ACTION_APP)) == runner_size


@pytest.mark.parametrize(("code", "language", "words"), [
    ("def lambda_handler(event, context):\n    raise ValueError('boom')\n", "python", ["ValueError", "boom"]),
    ("exports.handler = async () => { throw new Error('kaput'); };\n", "node", ["kaput"]),
])
def test_code_that_raises_is_a_500_with_the_runtimes_message(fnemu: Any, code: str, language: str,
                                                             words: list[str]) -> None:
    r = _run(fnemu, {"language": language, "serverless_code": code, "output_variable_name": "out"})
    assert r.status_code == 500
    answer = r.json()
    assert answer["status"] == 500 and list(answer["response"]) == ["error"]
    error = answer["response"]["error"]
    assert error["code"] == "function_error"
    for word in words:
        assert word in error["message"]


def _assert_action_error(r: Any, status: int, field: str | None, *words: str) -> None:
    assert r.status_code == status, r.text
    answer = r.json()
    assert answer["status"] == status and list(answer["response"]) == ["error"], answer
    error = answer["response"]["error"]
    assert sorted(error) == ["code", "field", "message"] and error["field"] == field, error
    for word in words:
        assert word in error["message"], (word, error)


GOOD = {"language": "python", "serverless_code": SEED_000_CODE, "output_variable_name": "result"}


@pytest.mark.parametrize(("body", "field", "words"), [
    pytest.param({k: v for k, v in GOOD.items() if k != "language"}, "language", ["required"], id="no-language"),
    pytest.param({k: v for k, v in GOOD.items() if k != "serverless_code"}, "serverless_code", ["required"],
                 id="no-code"),
    pytest.param({k: v for k, v in GOOD.items() if k != "output_variable_name"}, "output_variable_name",
                 ["required"], id="no-output"),
    pytest.param({**GOOD, "language": "ruby"}, "language", ["python, node"], id="language-ruby"),
    pytest.param({**GOOD, "language": "Python"}, "language", ["python, node"], id="language-case"),
    pytest.param({**GOOD, "serverless_code": ""}, "serverless_code", ["non-empty"], id="code-empty"),
    pytest.param({**GOOD, "serverless_code": 5}, "serverless_code", ["string"], id="code-number"),
    pytest.param({**GOOD, "output_variable_name": "1st"}, "output_variable_name", ["^[a-zA-Z]"], id="output-digit"),
    pytest.param({**GOOD, "output_variable_name": "my-var"}, "output_variable_name", ["^[a-zA-Z]"], id="output-dash"),
    pytest.param({**GOOD, "output_variable_name": ""}, "output_variable_name", ["^[a-zA-Z]"], id="output-empty"),
    pytest.param({**GOOD, "output_variable_name": ["x"]}, "output_variable_name", ["^[a-zA-Z]"], id="output-list"),
    pytest.param({**GOOD, "context": [1]}, "context", ["object"], id="context-list"),
    pytest.param({**GOOD, "extra": 1}, "extra", ["unknown"], id="unknown-field"),
    pytest.param(["x"], "body", ["JSON object"], id="body-list"),
])
def test_every_rule_of_the_seeds_schema_is_a_400_in_the_envelope(fnemu: Any, body: Any, field: str,
                                                                 words: list[str]) -> None:
    _assert_action_error(_run(fnemu, body), 400, field, *words)
    assert _action_entries(fnemu) == []


def test_code_that_does_not_load_is_a_400_naming_the_code(fnemu: Any) -> None:
    r = _run(fnemu, {**GOOD, "serverless_code": "def lambda_handler(event, context)\n    return 1\n"})
    _assert_action_error(r, 400, "serverless_code", "line 1")
    r = _run(fnemu, {**GOOD, "serverless_code": "x = 1\n"})
    _assert_action_error(r, 400, "serverless_code", "lambda_handler")


def test_malformed_json_is_a_400_in_the_envelope(fnemu: Any) -> None:
    r = fnemu.http.post(PATH, content=b"{nope", headers={"Authorization": f"Bearer {fnemu.token}"})
    _assert_action_error(r, 400, "body", "malformed JSON")


def test_no_token_is_401_and_an_end_user_token_403(fnemu: Any) -> None:
    r = _run(fnemu, GOOD, token=None)
    _assert_action_error(r, 401, None, "developer token")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    _assert_action_error(_run(fnemu, GOOD, token=fnemu.user_token("u")), 403, None)
    assert _action_entries(fnemu) == []


def test_an_app_called_action_keeps_every_route(fnemu: Any) -> None:
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    code = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'app action'}\n"
    created = fnemu.http.post("/v1/action/functions", json={"name": "serverless_function", "code": code},
                              headers=headers)
    assert created.status_code == 201, created.text
    assert fnemu.http.get("/v1/action/fn/serverless_function", headers=headers).text == "app action"
    assert [f["name"] for f in fnemu.http.get("/v1/action/functions", headers=headers).json()["functions"]] == [
        "serverless_function"]
    assert _run(fnemu, GOOD).json()["status"] == 200


def test_concurrent_first_runs_of_one_code_deploy_it_once(fnemu: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = {"language": "python", "serverless_code": PID, "output_variable_name": "pid"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _run(fnemu, body).json(), range(4)))
    assert all(a["status"] == 200 for a in answers)
    (fn,) = fnemu.server.app[REGISTRY].list(ACTION_APP)
    assert fn.current.number == 1
