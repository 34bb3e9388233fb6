"""§3, §7 the OpenAPI file: served as it ships, and in step with the routes and shapes the app has."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

import emulator
from emulator.app import build_app
from emulator.config import Config
from emulator.registry import spec as deploy_spec

OPENAPI = Path(emulator.__file__).resolve().parent / "openapi.yaml"
ALL_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
HELLO = "def handler(event, context):\n    print('hi')\n    return {'statusCode': 200, 'body': 'hello'}\n"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][name]


def _spec_operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in doc["paths"].items() for method in item if method in ALL_METHODS}


async def _app_routes() -> set[tuple[str, str]]:
    """(path template, method) of every route of a real app; aiohttp's `{rest:regex}` becomes `{rest}`."""
    app = build_app(Config(port=0))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        out: set[tuple[str, str]] = set()
        for route in app.router.routes():
            path = re.sub(r"\{(\w+):[^}]*\}", r"{\1}", route.resource.canonical)
            out.add((path, route.method))
        return out
    finally:
        await runner.cleanup()


def test_served_openapi_is_the_packaged_file_and_parses(fnemu: Any) -> None:
    r = fnemu.http.get("/_emu/openapi.yaml")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/yaml")
    assert r.content == OPENAPI.read_bytes()
    served = yaml.safe_load(r.text)
    assert served["openapi"].startswith("3.1")
    assert served["info"]["version"] == emulator.__version__


async def test_every_route_of_the_app_is_in_the_spec(doc: dict[str, Any]) -> None:
    documented = _spec_operations(doc)
    for path, method in await _app_routes():
        if method == "*":
            missing = {m for m in ALL_METHODS if (path, m) not in documented}
            assert not missing, f"{path}: methods {sorted(missing)} not in openapi.yaml"
        elif method == "HEAD":
            # aiohttp adds HEAD beside every GET; the spec says so once, in info.description
            assert (path, "head") in documented or (path, "get") in documented, f"HEAD {path}"
        else:
            assert (path, method.lower()) in documented, f"{method} {path} not in openapi.yaml"


async def test_every_operation_in_the_spec_is_served(doc: dict[str, Any]) -> None:
    routes = await _app_routes()
    for path, method in _spec_operations(doc):
        assert (path, method.upper()) in routes or (path, "*") in routes, f"{method} {path} is not served"
    assert {path for path, _ in routes} == set(doc["paths"])


def test_every_ref_resolves(doc: dict[str, Any]) -> None:
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                refs.append(node["$ref"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    assert refs
    for ref in refs:
        assert _resolve(doc, ref) is not None, ref


def test_every_authenticated_operation_declares_401_and_each_body_413(doc: dict[str, Any]) -> None:
    for path, method in _spec_operations(doc):
        op = doc["paths"][path][method]
        if op.get("security", doc["security"]) != []:
            assert "401" in op["responses"], f"{method} {path}"
        if "requestBody" in op:
            assert "413" in op["responses"], f"{method} {path}"
        if path.startswith("/v1/") and "/fn/" not in path:
            assert "403" in op["responses"], f"{method} {path}"


def test_deploy_schema_states_the_rules_of_spec_py(doc: dict[str, Any]) -> None:
    props = _schema(doc, "DeployRequest")["properties"]
    assert set(props) == deploy_spec._FIELDS | deploy_spec._READ_ONLY
    assert props["name"]["pattern"] == deploy_spec.NAME_RE.pattern
    assert props["envVars"]["propertyNames"]["pattern"] == deploy_spec.ENV_NAME_RE.pattern
    assert (props["timeoutMs"]["minimum"], props["timeoutMs"]["maximum"]) == deploy_spec.TIMEOUT_RANGE
    assert (props["memoryLimitMb"]["minimum"], props["memoryLimitMb"]["maximum"]) == deploy_spec.MEMORY_RANGE
    assert props["description"]["maxLength"] == deploy_spec.DESCRIPTION_MAX
    assert props["agent_tool_description"]["maxLength"] == deploy_spec.AGENT_DESCRIPTION_MAX
    defaults = deploy_spec.FunctionSpec("x", "code", "python", "lambda")
    assert props["timeoutMs"]["default"] == defaults.timeout_ms
    assert props["memoryLimitMb"]["default"] == defaults.memory_mb
    assert props["eventFormat"]["default"] == defaults.event_format
    assert props["agent_tool_mode"]["default"] == defaults.agent_tool_mode
    assert props["agent_tool_exposed_to"]["default"] == defaults.agent_tool_exposed_to


def _assert_shape(doc: dict[str, Any], name: str, value: dict[str, Any]) -> None:
    schema = _schema(doc, name)
    required = set(schema.get("required", ()))
    props = set(schema.get("properties", ()))
    for part in schema.get("allOf", ()):
        part = _resolve(doc, part["$ref"]) if "$ref" in part else part
        required |= set(part.get("required", ()))
        props |= set(part.get("properties", ()))
    assert required <= set(value), f"{name}: missing {sorted(required - set(value))}"
    assert set(value) <= props, f"{name}: undocumented {sorted(set(value) - props)}"


def test_real_answers_have_the_documented_shapes(fnemu: Any, doc: dict[str, Any]) -> None:
    created = fnemu.deploy("openapi-hello", HELLO, triggers=[{"type": "http", "config": {"auth": "none"}}])
    _assert_shape(doc, "Function", created)
    for trigger in created["triggers"]:
        _assert_shape(doc, "Trigger", trigger)
        _assert_shape(doc, "HttpTriggerConfig", trigger["config"])
    assert fnemu.call("openapi-hello", auth=False).text == "hello"
    envelope = fnemu.invoke("openapi-hello", method="GET", path="/")
    _assert_shape(doc, "InvocationEnvelope", envelope)
    for line in envelope["consoleLogs"]:
        _assert_shape(doc, "ConsoleLine", line)
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    detail = fnemu.http.get("/v1/local/functions/openapi-hello", headers=headers).json()
    _assert_shape(doc, "FunctionDetail", detail)
    _assert_shape(doc, "Metrics", detail["metrics"])
    for entry in fnemu.logs("openapi-hello"):
        _assert_shape(doc, "LogEntry", entry)
    error = fnemu.http.get("/v1/local/functions/nope", headers=headers).json()
    _assert_shape(doc, "Error", error)
    assert set(error["error"]) == set(_schema(doc, "Error")["properties"]["error"]["required"])


def test_agent_answers_have_the_documented_shapes(fnemu: Any, doc: dict[str, Any]) -> None:
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    fnemu.deploy("tool", HELLO, agent_tool=True, agent_tool_mode="read_write")
    (tool,) = fnemu.client.tools()
    _assert_shape(doc, "AgentTool", tool)
    held = fnemu.call_tool("tool", {"a": 1})
    _assert_shape(doc, "ApprovalHeld", held)
    (pending,) = fnemu.client.approvals()
    _assert_shape(doc, "Approval", pending)
    _assert_shape(doc, "InvocationEnvelope", fnemu.approve(held["approval_id"]))
    (entry,) = fnemu.logs("tool")
    _assert_shape(doc, "LogEntry", entry)
    _assert_shape(doc, "ToolCall", entry["tool"])
    body = {"language": "python", "serverless_code": HELLO.replace("handler", "lambda_handler"),
            "output_variable_name": "out"}
    for answer in (fnemu.http.post("/v1/action/serverless_function", json=body, headers=headers).json(),
                   fnemu.http.post("/v1/action/serverless_function", json={}, headers=headers).json()):
        _assert_shape(doc, "ActionResponse", answer)
    _assert_shape(doc, "Error", answer["response"])


def test_webhook_trigger_and_entry_have_the_documented_shapes(fnemu: Any, doc: dict[str, Any]) -> None:
    webhook = {"type": "webhook", "config": {"allowed_sources": "github"}}
    created = fnemu.deploy("openapi-hook", HELLO, triggers=[webhook])
    (trigger,) = created["triggers"]
    _assert_shape(doc, "Trigger", trigger)
    _assert_shape(doc, "WebhookTriggerConfig", trigger["config"])
    assert set(trigger) == {"type", "config", "url", "secret"}
    assert fnemu.webhook_send("openapi-hook", source="github").status_code == 200
    (entry,) = fnemu.logs("openapi-hook")
    _assert_shape(doc, "LogEntry", entry)
    assert entry["source"] == "github"


def test_app_id_rule_and_its_400_are_documented_on_every_route(doc: dict[str, Any]) -> None:
    param = doc["components"]["parameters"]["AppId"]["schema"]
    assert param["pattern"] == deploy_spec.APP_ID_RE.pattern
    assert param["not"] == {"enum": [".", ".."]}
    for path, method in _spec_operations(doc):
        if "{app_id}" in path:
            assert "400" in doc["paths"][path][method]["responses"], f"{method} {path}"


def test_deploy_links_to_every_operation_on_one_function(doc: dict[str, Any]) -> None:
    """Stateful fuzzing chains deploy -> the rest through these links (all but the endless log stream)."""
    links = doc["components"]["links"]
    for status in ("200", "201"):
        used = doc["paths"]["/v1/{app_id}/functions"]["post"]["responses"][status]["links"]
        assert {_resolve(doc, link["$ref"])["description"] for link in used.values()} == {
            link["description"] for link in links.values()}
    by_id = {op.get("operationId"): (path, method) for path, item in doc["paths"].items()
             for method, op in item.items() if method in ALL_METHODS}
    targets = set()
    for link in links.values():
        assert link["parameters"] == {"app_id": "$request.path.app_id", "name": "$response.body#/name"}
        if "operationId" in link:
            targets.add(by_id[link["operationId"]])
        else:
            _, _, path, method = link["operationRef"].split("/")
            assert _resolve(doc, link["operationRef"])
            targets.add((path.replace("~1", "/"), method))
    wanted = {(path, method) for path, method in _spec_operations(doc)
              if path.count("{") == 2 and "{app_id}" in path and "/fn/" not in path and not path.endswith("/stream")}
    assert wanted <= targets, wanted - targets
    assert ("/v1/{app_id}/fn/{name}", "get") in targets
