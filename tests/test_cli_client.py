"""§11 the client commands against a real running server: list, deploy, invoke, logs [--follow]."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from emulator.cli import cli
from emulator.keys import LOGS
from tests.helpers import wait_until

HELLO = "def handler(event, context):\n    print('body was', event['body'])\n    return {'statusCode': 200, 'body': 'hi'}\n"


@pytest.fixture
def run_cli(fnemu):
    runner = CliRunner()

    def run(*args: str, token: str | None = None):
        env = {"FNEMU_URL": fnemu.url, "FNEMU_TOKEN": token or fnemu.token}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return run


def test_list_shows_a_table_and_json(fnemu, run_cli):
    fnemu.deploy("hello", HELLO)
    table = run_cli("list")
    assert table.exit_code == 0 and "hello" in table.output and "python" in table.output
    as_json = run_cli("list", "--json")
    assert [f["name"] for f in json.loads(as_json.output)] == ["hello"]


def test_deploy_a_file_with_its_config_then_a_folder(fnemu, run_cli, tmp_path):
    (tmp_path / "hello.py").write_text(HELLO)
    (tmp_path / "hello.json").write_text('{"timeoutMs": 777}')
    result = run_cli("deploy", str(tmp_path / "hello.py"))
    assert result.exit_code == 0, result.output
    assert "deployed hello v1" in result.output
    assert fnemu.client.get("hello")["timeoutMs"] == 777
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "main.py").write_text(HELLO)
    (folder / ".env").write_text("COLOUR=blue\n")
    assert run_cli("deploy", str(folder)).exit_code == 0
    assert fnemu.client.get("pkg")["envVars"] == ["COLOUR"]


def test_invoke_sends_data_and_shows_console_and_body(fnemu, run_cli, tmp_path):
    fnemu.deploy("hello", HELLO)
    result = run_cli("invoke", "hello", "--data", '{"a": 1}')
    assert result.exit_code == 0
    assert "200" in result.output and "hi" in result.output and 'body was {"a":1}' in result.output
    (tmp_path / "body.json").write_text('{"from": "file"}')
    envelope = json.loads(run_cli("invoke", "hello", "--data", f"@{tmp_path / 'body.json'}", "--json").output)
    assert envelope["consoleLogs"][0]["message"] == 'body was {"from":"file"}'


def test_logs_lists_oldest_first_with_level_filter(fnemu, run_cli):
    fnemu.deploy("hello", HELLO)
    fnemu.call("hello", path="/first")
    fnemu.call("hello", path="/second")
    output = run_cli("logs", "hello").output
    assert output.index("/first") < output.index("/second")
    assert json.loads(run_cli("logs", "hello", "--level", "error", "--json").output) == []


@pytest.mark.parametrize("args, message", [
    (["invoke", "nope"], "function 'nope' not found"),
    (["invoke", "hello", "--data", "{bad json"], "not valid JSON"),
    (["logs", "nope"], "not found"),
    (["deploy", "/"], "no function here"),
])
def test_user_mistakes_are_one_line_and_non_zero(fnemu, run_cli, args, message):
    fnemu.deploy("hello", HELLO)
    result = run_cli(*args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_bad_token_and_no_server_are_one_line(fnemu, run_cli):
    bad = run_cli("list", token="wrong")
    assert bad.exit_code == 1 and "401" in bad.output and "Traceback" not in bad.output
    result = CliRunner().invoke(cli, ["list", "--url", "http://127.0.0.1:9"], catch_exceptions=False)
    assert result.exit_code == 1 and "cannot reach fnemu" in result.output


def test_logs_follow_streams_new_entries_as_they_happen(fnemu):
    fnemu.deploy("hello", HELLO)
    env = {**os.environ, "FNEMU_URL": fnemu.url, "FNEMU_TOKEN": fnemu.token,
           "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "logs", "hello", "--follow", "--json"],
                            stdout=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        wait_until(lambda: _followers(fnemu), message="the follower to connect")
        fnemu.call("hello", path="/live-1")
        fnemu.call("hello", path="/live-2")
        wait_until(lambda: len(lines) >= 2, message="two streamed entries")
        assert [json.loads(line)["path"] for line in lines[:2]] == ["/live-1", "/live-2"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        reader.join(timeout=10)
        proc.stdout.close()  # type: ignore[union-attr]


def _followers(fnemu) -> bool:
    return len(fnemu.server.app[LOGS].listeners) > 0


@pytest.mark.parametrize("command", [[], ["start"], ["list"], ["deploy"], ["invoke"], ["logs"], ["cron", "fire"],
                                     ["clock", "advance"], ["clock", "show"], ["s3", "put"], ["s3", "ls"],
                                     ["token", "create"], ["tools", "list"], ["tools", "call"], ["approvals"],
                                     ["approvals", "approve"], ["approvals", "reject"], ["action", "run"]])
def test_every_help_shows_an_example(command):
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0 and "Example" in result.output


def test_shell_completion_script_is_served():
    env = {**os.environ, "_FNEMU_COMPLETE": "bash_source", "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    script = subprocess.run([sys.executable, "-c", "from emulator.cli import main; main()"], env=env,
                            capture_output=True, text=True, timeout=30).stdout
    assert "_fnemu_completion()" in script and "complete " in script
