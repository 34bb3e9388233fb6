"""§9 agent tools: the list, calls by each caller to each exposure and mode, approvals of
read_write tools, and the log entry each call makes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.client import ClientError
from tests.api.expect import api_error

TOOL = """import json
runs = []

def handler(event, context):
    runs.append(1)
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"input": json.loads(event["body"]), "method": event["httpMethod"],
                                "path": event["path"], "runs": len(runs),
                                "claims": event["requestContext"]["authorizer"]["claims"],
                                "authorization": event["headers"].get("Authorization")})}
"""
MODES = ("read_only", "read_write")
EXPOSURES = ("developer_only", "end_user")


def _deploy_tool(fnemu: Any, name: str, mode: str = "read_only", exposed_to: str = "developer_only",
                 **fields: Any) -> dict[str, Any]:
    return fnemu.deploy(name, TOOL, agent_tool=True, agent_tool_description=f"{name} does things",
                        agent_tool_mode=mode, agent_tool_exposed_to=exposed_to, **fields)


def _bearer(token: str | None) -> dict[str, str]:
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def _call(fnemu: Any, name: str, token: str | None, body: Any = None) -> Any:
    return fnemu.http.post(f"/v1/local/agent-tools/{name}/call", json={"input": {"q": 1}} if body is None else body,
                           headers=_bearer(token))


def test_list_shows_only_tools_and_to_end_users_only_theirs(fnemu: Any) -> None:
    fnemu.deploy("plain", TOOL)
    _deploy_tool(fnemu, "dev-tool")
    _deploy_tool(fnemu, "user-tool", exposed_to="end_user", mode="read_write")
    fnemu.deploy("described", TOOL, agent_tool=True, description="from the description")
    r = fnemu.http.get("/v1/local/agent-tools", headers=_bearer(fnemu.token))
    assert r.status_code == 200
    assert r.json() == {"tools": [
        {"name": "described", "description": "from the description", "mode": "read_only",
         "exposed_to": "developer_only"},
        {"name": "dev-tool", "description": "dev-tool does things", "mode": "read_only",
         "exposed_to": "developer_only"},
        {"name": "user-tool", "description": "user-tool does things", "mode": "read_write", "exposed_to": "end_user"},
    ]}
    user = fnemu.client.tools(fnemu.user_token("alice"))
    assert [t["name"] for t in user] == ["user-tool"]
    api_error(fnemu.http.get("/v1/local/agent-tools"), 401, None)
    assert fnemu.http.get("/v1/other/agent-tools", headers=_bearer(fnemu.token)).json() == {"tools": []}


def test_a_read_only_call_runs_a_post_of_the_input_and_answers_the_envelope(fnemu: Any) -> None:
    _deploy_tool(fnemu, "lookup", triggers=[{"type": "http", "config": {"path": "/items/{id}"}}])
    r = _call(fnemu, "lookup", fnemu.token, {"input": {"email": "a@example.com", "n": [1, 2]}})
    assert r.status_code == 200, r.text
    envelope = r.json()
    assert envelope["status_code"] == 200 and envelope["error"] is None
    seen = json.loads(envelope["body"])
    assert seen["input"] == {"email": "a@example.com", "n": [1, 2]}
    assert (seen["method"], seen["path"], seen["claims"]) == ("POST", "/", None)
    (entry,) = fnemu.logs("lookup")
    assert entry["trigger"] == "invoke" and entry["id"] == envelope["id"]
    assert entry["tool"] == {"caller": "developer", "input": {"email": "a@example.com", "n": [1, 2]}}


def test_an_end_user_call_carries_the_token_and_its_claims(fnemu: Any) -> None:
    _deploy_tool(fnemu, "mine", exposed_to="end_user")
    token = fnemu.user_token("alice", plan="pro")
    envelope = fnemu.call_tool("mine", {"q": 2}, token=token)
    seen = json.loads(envelope["body"])
    assert seen["authorization"] == f"Bearer {token}"
    assert (seen["claims"]["sub"], seen["claims"]["plan"]) == ("alice", "pro")
    assert fnemu.logs("mine")[0]["tool"] == {"caller": "end_user", "input": {"q": 2}}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("exposed_to", EXPOSURES)
@pytest.mark.parametrize("caller", ["developer", "end_user", "anonymous", "invalid"])
def test_every_caller_exposure_and_mode(fnemu: Any, mode: str, exposed_to: str, caller: str) -> None:
    _deploy_tool(fnemu, "tool", mode, exposed_to)
    token = {"developer": fnemu.token, "end_user": fnemu.user_token("alice"), "anonymous": None,
             "invalid": "aaa.bbb.ccc"}[caller]
    r = _call(fnemu, "tool", token)
    if caller in ("anonymous", "invalid"):
        api_error(r, 401, None)
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
    elif caller == "end_user" and exposed_to == "developer_only":
        api_error(r, 403, None, "developer_only")
    elif mode == "read_write":
        assert r.status_code == 202 and list(r.json()) == ["approval_id"]
        (held,) = fnemu.client.approvals()
        assert held["id"] == r.json()["approval_id"] and held["caller"] == caller
    else:
        assert r.status_code == 200 and r.json()["status_code"] == 200
        assert fnemu.logs("tool")[0]["tool"]["caller"] == caller
        return
    assert fnemu.logs("tool") == [], "no code ran"


def test_a_function_that_is_not_a_tool_is_404_and_bad_bodies_are_400(fnemu: Any) -> None:
    fnemu.deploy("plain", TOOL)
    _deploy_tool(fnemu, "tool")
    api_error(_call(fnemu, "plain", fnemu.token), 404, "name", "not an agent tool")
    api_error(_call(fnemu, "ghost", fnemu.token), 404, "name", "not found")
    api_error(_call(fnemu, "tool", fnemu.token, {"input": [1]}), 400, "input", "object")
    api_error(_call(fnemu, "tool", fnemu.token, {"input": {}, "extra": 1}), 400, "extra", "unknown")
    api_error(_call(fnemu, "tool", fnemu.token, ["x"]), 400, "body")
    empty = fnemu.http.post("/v1/local/agent-tools/tool/call", headers=_bearer(fnemu.token))
    assert empty.status_code == 200 and json.loads(empty.json()["body"])["input"] == {}
    api_error(_call(fnemu, "tool", fnemu.user_token("u")), 403, None)


def test_approve_runs_the_held_call_once(fnemu: Any) -> None:
    _deploy_tool(fnemu, "refund", "read_write", "end_user")
    token = fnemu.user_token("alice")
    held = fnemu.call_tool("refund", {"amount": 5}, token=token)
    assert fnemu.logs("refund") == [], "nothing runs before approval"
    (pending,) = fnemu.client.approvals()
    assert pending["id"] == held["approval_id"]
    assert (pending["app_id"], pending["function"], pending["input"], pending["caller"], pending["sub"]) == (
        "local", "refund", {"amount": 5}, "end_user", "alice")
    envelope = fnemu.approve(held["approval_id"])
    seen = json.loads(envelope["body"])
    assert (seen["input"], seen["runs"], seen["claims"]["sub"]) == ({"amount": 5}, 1, "alice")
    assert fnemu.client.approvals() == []
    (entry,) = fnemu.logs("refund")
    assert entry["tool"] == {"caller": "end_user", "input": {"amount": 5}, "approval_id": held["approval_id"]}
    again = fnemu.http.post(f"/_emu/approvals/{held['approval_id']}", json={"approve": True},
                            headers=_bearer(fnemu.token))
    api_error(again, 409, "id", "already approved")
    assert len(fnemu.logs("refund")) == 1


def test_reject_never_runs_it_and_unknown_ids_are_404(fnemu: Any) -> None:
    _deploy_tool(fnemu, "refund", "read_write")
    held = fnemu.call_tool("refund", {"amount": 5})
    rejected = fnemu.client.decide(held["approval_id"], False)
    assert rejected == {"approval_id": held["approval_id"], "status": "rejected"}
    assert fnemu.logs("refund") == [] and fnemu.client.approvals() == []
    for approve in (True, False):
        with pytest.raises(ClientError) as twice:
            fnemu.client.decide(held["approval_id"], approve)
        assert twice.value.status == 409 and "already rejected" in twice.value.message
    with pytest.raises(ClientError) as unknown:
        fnemu.approve("apr_0000")
    assert unknown.value.status == 404


def test_decisions_need_the_developer_token_and_a_boolean(fnemu: Any) -> None:
    _deploy_tool(fnemu, "refund", "read_write", "end_user")
    held = fnemu.call_tool("refund", {})["approval_id"]
    path = f"/_emu/approvals/{held}"
    api_error(fnemu.http.post(path, json={"approve": True}), 401, None)
    api_error(fnemu.http.post(path, json={"approve": True}, headers=_bearer(fnemu.user_token("u"))), 403, None)
    api_error(fnemu.http.get("/_emu/approvals", headers=_bearer(fnemu.user_token("u"))), 403, None)
    api_error(fnemu.http.post(path, json={"approve": "yes"}, headers=_bearer(fnemu.token)), 400, "approve")
    api_error(fnemu.http.post(path, json={}, headers=_bearer(fnemu.token)), 400, "approve")
    assert len(fnemu.client.approvals()) == 1, "a bad decision decides nothing"


def test_a_held_call_whose_tool_went_away_is_409_and_reset_drops_pending_calls(fnemu: Any) -> None:
    _deploy_tool(fnemu, "refund", "read_write")
    held = fnemu.call_tool("refund", {})["approval_id"]
    fnemu.client.delete("refund")
    with pytest.raises(ClientError) as gone:
        fnemu.approve(held)
    assert gone.value.status == 409 and "did not run" in gone.value.message
    _deploy_tool(fnemu, "refund", "read_write")
    fnemu.call_tool("refund", {})
    fnemu.reset()
    assert fnemu.client.approvals() == []
