"""§11 the client commands for end users and agents against a real server: `token create`,
`tools list|call`, `approvals [approve|reject ID]`, `action run`."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from click.testing import CliRunner

from emulator.cli import cli
from tests.agents.test_tools import TOOL
from tests.helpers import SEED_000_CODE


@pytest.fixture
def run_cli(fnemu: Any) -> Any:
    runner = CliRunner()

    def run(*args: str, token: str | None = None) -> Any:
        env = {"FNEMU_URL": fnemu.url, "FNEMU_TOKEN": token or fnemu.token}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return run


def _secret(fnemu: Any) -> str:
    secret: str = fnemu.http.get("/_emu/auth", headers={"Authorization": f"Bearer {fnemu.token}"}).json()["secret"]
    return secret


def test_token_create_prints_a_token_with_typed_claims_and_ttl(fnemu: Any, run_cli: Any) -> None:
    result = run_cli("token", "create", "alice", "--claim", "role=admin", "--claim", "level=3",
                     "--claim", 'tags=["a","b"]', "--ttl", "90")
    assert result.exit_code == 0, result.output
    claims = jwt.decode(result.output.strip(), _secret(fnemu), algorithms=["HS256"])
    assert (claims["sub"], claims["role"], claims["level"], claims["tags"]) == ("alice", "admin", 3, ["a", "b"])
    assert claims["exp"] - claims["iat"] == 90
    bad = run_cli("token", "create", "alice", "--claim", "no-equals")
    assert bad.exit_code != 0 and "KEY=VALUE" in bad.output and "Traceback" not in bad.output


def _tool(fnemu: Any, name: str, mode: str, exposed_to: str = "end_user") -> None:
    fnemu.deploy(name, TOOL, agent_tool=True, agent_tool_mode=mode, agent_tool_exposed_to=exposed_to,
                 agent_tool_description=f"{name} tool")


def test_tools_list_and_call_as_developer_and_as_end_user(fnemu: Any, run_cli: Any) -> None:
    _tool(fnemu, "lookup", "read_only")
    _tool(fnemu, "secret", "read_only", "developer_only")
    listed = run_cli("tools", "list")
    assert listed.exit_code == 0 and "lookup" in listed.output and "secret" in listed.output
    user = fnemu.user_token("alice")
    as_user = json.loads(run_cli("tools", "list", "--json", token=user).output)
    assert [t["name"] for t in as_user] == ["lookup"]
    called = run_cli("tools", "call", "lookup", "--input", '{"email": "a@b.c"}', "--json", token=user)
    envelope = json.loads(called.output)
    assert json.loads(envelope["body"])["input"] == {"email": "a@b.c"}
    denied = run_cli("tools", "call", "secret", token=user)
    assert denied.exit_code == 1 and "403" in denied.output and "Traceback" not in denied.output
    not_object = run_cli("tools", "call", "lookup", "--input", "[1]")
    assert not_object.exit_code != 0 and "JSON object" in not_object.output


def test_approvals_list_approve_and_reject(fnemu: Any, run_cli: Any) -> None:
    _tool(fnemu, "refund", "read_write")
    held = run_cli("tools", "call", "refund", "--input", '{"amount": 5}')
    assert held.exit_code == 0 and "waiting for approval" in held.output
    first = fnemu.client.approvals()[0]["id"]
    second = fnemu.call_tool("refund", {"amount": 6})["approval_id"]
    listing = run_cli("approvals")
    assert first in listing.output and second in listing.output and '{"amount":5}' in listing.output
    approved = run_cli("approvals", "approve", first)
    assert approved.exit_code == 0 and '"amount": 5' in approved.output
    rejected = run_cli("approvals", "reject", second)
    assert rejected.exit_code == 0 and f"rejected {second}" in rejected.output
    assert run_cli("approvals").output.strip() == "no calls waiting for approval"
    again = run_cli("approvals", "approve", first)
    assert again.exit_code == 1 and "409" in again.output and "already approved" in again.output
    assert len(fnemu.logs("refund")) == 1


def test_action_run_a_file_with_context(fnemu: Any, run_cli: Any, tmp_path: Any) -> None:
    (tmp_path / "action.py").write_text(SEED_000_CODE)
    result = run_cli("action", "run", str(tmp_path / "action.py"), "--context", '{"user": "ada"}', "--output", "out")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["status"] == 200 and answer["response"]["out"]["context"] == {"user": "ada"}
    (tmp_path / "boom.js").write_text("exports.handler = async () => { throw new Error('kaput'); };\n")
    failed = run_cli("action", "run", str(tmp_path / "boom.js"))
    assert failed.exit_code == 1 and "status 500" in failed.output and "kaput" in failed.output
    bad = run_cli("action", "run", str(tmp_path / "action.py"), "--output", "1bad")
    assert bad.exit_code == 1 and "output_variable_name" in bad.output
    (tmp_path / "notes.txt").write_text("x")
    unknown = run_cli("action", "run", str(tmp_path / "notes.txt"))
    assert unknown.exit_code != 0 and "--language" in unknown.output
