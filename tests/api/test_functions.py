"""§3 the Functions API: deploy and update, list, get, soft delete, env patches, test-invoke."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from .expect import ISO_MS_Z, OK, api_error

ENV_READER = '''import json, os

AT_IMPORT = os.environ.get("A")

def handler(event, context):
    names = ("A", "B", "C")
    return {"statusCode": 200, "body": json.dumps(
        {"at_import": AT_IMPORT, **{n: os.environ.get(n) for n in names}})}
'''

SECRET = "s3cr3t-value-never-shown"


def version_body(text: str) -> str:
    return f"def handler(event, context):\n    return {{'statusCode': 200, 'body': {text!r}}}\n"


def test_create_is_201_with_every_field_and_its_default(fnemu) -> None:
    response = fnemu.http.post("/v1/local/functions", json={"name": "hello", "code": OK},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    assert response.status_code == 201
    fn = response.json()
    created = fn.pop("createdAt")
    assert ISO_MS_Z.match(created) and fn.pop("updatedAt") == created
    assert fn == {
        "name": "hello",
        "description": "",
        "language": "python",
        "runtime": "lambda",
        "eventFormat": "v1",
        "envVars": [],
        "timeoutMs": 30000,
        "memoryLimitMb": 128,
        "triggers": [{"type": "http", "config": {"method": "ANY", "auth": "required"}}],
        "agent_tool": False,
        "agent_tool_description": "",
        "agent_tool_mode": "read_only",
        "agent_tool_exposed_to": "developer_only",
        "debug": False,
        "version": 1,
        "url": f"{fnemu.url}/v1/local/fn/hello",
        "source": "api",
        "loadError": None,
    }


def test_update_is_200_with_version_plus_one_and_every_field_echoed(fnemu) -> None:
    first = fnemu.deploy("hello", version_body("v1"))
    body = {
        "name": "hello", "code": version_body("v2"), "description": "says hello",
        "envVars": {"GREETING": SECRET}, "timeoutMs": 5000, "memoryLimitMb": 256,
        "triggers": [{"type": "http", "config": {"method": "GET", "path": "/hi", "auth": "none"}}],
        "agent_tool": True, "agent_tool_description": "Greets.", "agent_tool_mode": "read_write",
        "agent_tool_exposed_to": "end_user", "language": "python", "runtime": "lambda", "eventFormat": "v2",
    }
    response = fnemu.http.post("/v1/local/functions", json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    assert response.status_code == 200
    fn = response.json()
    assert fn["version"] == 2
    assert fn["createdAt"] == first["createdAt"]
    assert fn["updatedAt"] > first["updatedAt"] and ISO_MS_Z.match(fn["updatedAt"])
    for key, value in body.items():
        if key not in ("code", "envVars", "triggers"):
            assert fn[key] == value, key
    assert fn["triggers"] == body["triggers"]
    assert fn["envVars"] == ["GREETING"]
    assert "code" not in fn and "metrics" not in fn
    assert fnemu.call("hello", path="/hi", auth=False).text == "v2"
    third = fnemu.deploy("hello", version_body("v3"))
    assert (third["version"], third["createdAt"]) == (3, first["createdAt"])


def test_concurrent_first_deploys_of_one_name_create_once_and_number_every_version(fnemu) -> None:
    def deploy(i: int) -> tuple[int, int]:
        with httpx.Client(base_url=fnemu.url, headers={"Authorization": f"Bearer {fnemu.token}"}) as client:
            response = client.post("/v1/local/functions", json={"name": "racer", "code": version_body(f"v{i}")})
            return response.status_code, response.json()["version"]

    with ThreadPoolExecutor(4) as pool:
        results = sorted(pool.map(deploy, range(4)), key=lambda r: r[1])
    assert results == [(201, 1), (200, 2), (200, 3), (200, 4)]
    assert fnemu.client.get("racer")["version"] == 4


def test_env_values_are_never_returned_by_any_call(fnemu) -> None:
    deployed = fnemu.http.post("/v1/local/functions", json={"name": "keeper", "code": OK,
                                                            "envVars": {"TOKEN": SECRET}},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    fnemu.call("keeper")
    auth = {"Authorization": f"Bearer {fnemu.token}"}
    responses = [
        deployed,
        fnemu.http.get("/v1/local/functions", headers=auth),
        fnemu.http.get("/v1/local/functions/keeper", headers=auth),
        fnemu.http.patch("/v1/local/functions/keeper/env", json={"envVars": {"OTHER": SECRET + "2"}}, headers=auth),
        fnemu.http.get("/v1/local/functions/keeper/logs", headers=auth),
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        assert SECRET not in response.text, response.request.url
    assert deployed.json()["envVars"] == ["TOKEN"]
    assert fnemu.client.get("keeper")["envVars"] == ["OTHER", "TOKEN"]


def test_code_and_metrics_only_on_get_one(fnemu) -> None:
    deployed = fnemu.deploy("hello", OK)
    (listed,) = fnemu.client.list()
    one = fnemu.client.get("hello")
    for fn in (deployed, listed):
        assert "code" not in fn and "metrics" not in fn
    assert one["code"] == OK
    assert one["metrics"] == {"total_invocations": 0, "error_count": 0, "error_rate": 0.0,
                              "avg_duration_ms": 0.0, "last_invocation": None}
    assert {k: v for k, v in one.items() if k not in ("code", "metrics")} == listed == deployed


def test_url_calls_the_function(fnemu) -> None:
    fn = fnemu.deploy("hello", OK)
    response = fnemu.http.get(fn["url"], headers={"Authorization": f"Bearer {fnemu.token}"})
    assert (response.status_code, response.text) == (200, "ok")


def test_list_is_sorted_by_name_and_scoped_to_its_app(fnemu) -> None:
    for name in ("beta", "alpha"):
        fnemu.deploy(name, OK)
    auth = {"Authorization": f"Bearer {fnemu.token}"}
    other = fnemu.http.post("/v1/other/functions", json={"name": "gamma", "code": OK}, headers=auth)
    assert other.json()["url"].endswith("/v1/other/fn/gamma")
    local = fnemu.http.get("/v1/local/functions", headers=auth).json()
    assert list(local) == ["functions"]
    assert [f["name"] for f in local["functions"]] == ["alpha", "beta"]
    assert [f["name"] for f in fnemu.http.get("/v1/other/functions", headers=auth).json()["functions"]] == ["gamma"]
    assert fnemu.http.get("/v1/nobody/functions", headers=auth).json() == {"functions": []}
    assert fnemu.http.get("/v1/other/fn/gamma", headers=auth).text == "ok"


def test_delete_is_soft_the_function_is_gone_but_its_logs_stay_readable(fnemu) -> None:
    fnemu.deploy("doomed", version_body("old"))
    fnemu.call("doomed")
    auth = {"Authorization": f"Bearer {fnemu.token}"}
    response = fnemu.http.delete("/v1/local/functions/doomed", headers=auth)
    assert (response.status_code, response.json()) == (200, {"name": "doomed", "deleted": True})
    api_error(fnemu.http.get("/v1/local/functions/doomed", headers=auth), 404, "name")
    api_error(fnemu.call("doomed"), 404, "name")
    api_error(fnemu.http.post("/v1/local/functions/doomed/invoke", headers=auth), 404, "name")
    api_error(fnemu.http.get("/v1/local/functions/doomed/logs", headers=auth), 404, "name", "include_deleted=true")
    api_error(fnemu.http.delete("/v1/local/functions/doomed", headers=auth), 404, "name")
    assert fnemu.client.list() == []
    (old,) = fnemu.logs("doomed", include_deleted=True)
    assert (old["function"], old["status_code"]) == ("doomed", 200)


def test_redeploy_after_delete_starts_over_and_keeps_the_old_logs_apart(fnemu) -> None:
    fnemu.deploy("phoenix", version_body("old"))
    fnemu.call("phoenix")
    fnemu.client.delete("phoenix")
    response = fnemu.http.post("/v1/local/functions", json={"name": "phoenix", "code": version_body("new")},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    assert (response.status_code, response.json()["version"]) == (201, 1)
    assert fnemu.call("phoenix").text == "new"
    assert fnemu.client.get("phoenix")["metrics"]["total_invocations"] == 1
    assert len(fnemu.logs("phoenix")) == 1
    assert len(fnemu.logs("phoenix", include_deleted=True)) == 2


def test_patch_env_merges_null_deletes_and_the_next_invocation_sees_it(fnemu) -> None:
    fnemu.deploy("env", ENV_READER, envVars={"A": "1", "B": "2"})
    assert fnemu.call("env").json() == {"at_import": "1", "A": "1", "B": "2", "C": None}
    response = fnemu.http.patch("/v1/local/functions/env/env", json={"envVars": {"A": "10", "B": None, "C": "3"}},
                                headers={"Authorization": f"Bearer {fnemu.token}"})
    assert (response.status_code, response.json()) == (200, {"envVars": ["A", "C"]})
    assert fnemu.call("env").json() == {"at_import": "10", "A": "10", "B": None, "C": "3"}
    assert fnemu.client.get("env")["envVars"] == ["A", "C"]
    assert fnemu.client.set_env("env", {"NOT_THERE": None}) == ["A", "C"]


def test_update_without_env_vars_keeps_them_and_an_empty_object_clears_them(fnemu) -> None:
    fnemu.deploy("env", ENV_READER, envVars={"A": "1"})
    assert fnemu.deploy("env", ENV_READER)["envVars"] == ["A"]
    assert fnemu.call("env").json()["A"] == "1"
    assert fnemu.deploy("env", ENV_READER, envVars={})["envVars"] == []
    assert fnemu.call("env").json()["A"] is None


def test_bad_env_patch_is_400_and_changes_nothing(fnemu) -> None:
    fnemu.deploy("env", ENV_READER, envVars={"A": "1"})
    for body, field, words in [
        ({}, "envVars", ["required"]),
        ({"envVars": ["A"]}, "envVars", ["object"]),
        ({"envVars": None}, "envVars", ["object"]),
        ({"envVars": {"A": 1}}, "envVars.A", ["string (null deletes)"]),
        ({"envVars": {"9A": "x"}}, "envVars.9A", ["variable name"]),
        ({"envVars": {}, "name": "env"}, "name", ["unknown field"]),
        ([], "body", ["JSON object"]),
    ]:
        response = fnemu.http.patch("/v1/local/functions/env/env", json=body,
                                    headers={"Authorization": f"Bearer {fnemu.token}"})
        api_error(response, 400, field, *words)
    assert fnemu.client.get("env")["envVars"] == ["A"]


def test_code_with_a_syntax_error_is_400_with_its_line_and_the_previous_version_keeps_serving(fnemu) -> None:
    fnemu.deploy("stable", version_body("v1"))
    broken = "def handler(event, context):\n    x = 1\n    return {'statusCode': 200,\n"
    response = fnemu.http.post("/v1/local/functions", json={"name": "stable", "code": broken},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    error = api_error(response, 400, "code", prefixed=False)
    assert "SyntaxError" in error["message"] and "line 3" in error["message"], error
    response = fnemu.http.post("/v1/local/functions", json={"name": "stable", "code": "def other(e, c):\n    pass\n"},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    assert "handler" in api_error(response, 400, "code", prefixed=False)["message"]
    fn = fnemu.client.get("stable")
    assert (fn["version"], fn["code"]) == (1, version_body("v1"))
    assert fnemu.call("stable").text == "v1"


def test_code_without_a_handler_is_400_and_creates_nothing(fnemu) -> None:
    response = fnemu.http.post("/v1/local/functions", json={"name": "empty", "code": "def other(event):\n    pass\n"},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    error = api_error(response, 400, "code", prefixed=False)
    assert "handler" in error["message"]
    assert fnemu.client.list() == []


def test_code_that_raises_at_import_is_400_with_its_line(fnemu) -> None:
    code = "import json\n\nraise RuntimeError('config missing')\n\ndef handler(event, context):\n    pass\n"
    response = fnemu.http.post("/v1/local/functions", json={"name": "crashy", "code": code},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    error = api_error(response, 400, "code", prefixed=False)
    assert "config missing" in error["message"] and "line 3" in error["message"], error


def test_test_invoke_answers_200_with_the_envelope_whatever_the_function_answered(fnemu) -> None:
    code = ("def handler(event, context):\n    print('seen', event['httpMethod'], event['path'])\n"
            "    return {'statusCode': 503, 'headers': {'X-Id': '7'}, 'body': event['body']}\n")
    fnemu.deploy("invokee", code, triggers=[])
    response = fnemu.http.post("/v1/local/functions/invokee/invoke",
                               json={"method": "PUT", "path": "/a", "body": {"k": 1}},
                               headers={"Authorization": f"Bearer {fnemu.token}"})
    assert response.status_code == 200
    inv = response.json()
    assert {"id", "status_code", "headers", "body", "duration_ms", "memory_mb", "error", "consoleLogs"} <= set(inv)
    assert (inv["status_code"], inv["headers"]["X-Id"], inv["body"], inv["error"]) == (503, "7", '{"k":1}', None)
    assert [c["message"] for c in inv["consoleLogs"]] == ["seen PUT /a"]
    (entry,) = fnemu.logs("invokee")
    assert (entry["id"], entry["trigger"], entry["method"], entry["path"]) == (inv["id"], "invoke", "PUT", "/a")


def test_test_invoke_reports_a_raising_function_in_the_envelope(fnemu) -> None:
    fnemu.deploy("raiser", "def handler(event, context):\n    raise ValueError('boom')\n")
    inv = fnemu.invoke("raiser")
    assert inv["status_code"] == 500 and "boom" in inv["error"]


def test_bad_test_invoke_request_is_400(fnemu) -> None:
    fnemu.deploy("invokee", OK)
    for body, field, words in [
        ([], "body", ["JSON object"]),
        ({"verb": "GET"}, "verb", ["unknown field"]),
        ({"method": "FETCH"}, "method", ["one of"]),
        ({"path": "a"}, "path", ['starting with "/"']),
        ({"headers": []}, "headers", ["object"]),
        ({"headers": {"X": 1}}, "headers", ["name: string"]),
        ({"query": "a=1"}, "query", ["object"]),
        ({"query": {"a": 1}}, "query.a", ["string"]),
    ]:
        response = fnemu.http.post("/v1/local/functions/invokee/invoke", json=body,
                                   headers={"Authorization": f"Bearer {fnemu.token}"})
        api_error(response, 400, field, *words)
    assert fnemu.logs("invokee") == []
