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
from emulator.client import Client
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
                                     ["clock", "advance"], ["clock", "show"], ["clock", "set"], ["clock", "reset"], ["s3", "put"], ["s3", "ls"],
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


CRON_FN = ("def handler(event, context):\n    print(event.get('detail-type'), event.get('time'))\n"
           "    return {'done': True}\n")
S3_FN = ("def handler(event, context):\n    record = event['Records'][0]\n"
         "    print(record['eventName'], record['s3']['bucket']['name'], record['s3']['object']['key'])\n")


def test_invoke_sends_the_event_of_the_functions_own_trigger(fnemu, run_cli):
    fnemu.deploy("nightly", CRON_FN, triggers=[{"type": "cron", "config": {"schedule": "0 3 * * *"}}])
    fnemu.deploy("thumbs", S3_FN, triggers=[{"type": "s3_upload", "config": {"bucket": "pics", "prefix": "in/"}}])
    cron = run_cli("invoke", "nightly")
    assert cron.exit_code == 0, cron.output
    assert cron.output.startswith("200") and "[log] Scheduled Event" in cron.output
    s3 = run_cli("invoke", "thumbs")
    assert s3.exit_code == 0, s3.output
    assert "[log] ObjectCreated:Put pics in/fnemu-sample.txt" in s3.output
    assert [e["trigger"] for e in fnemu.logs("nightly")] == ["invoke"]
    as_cron = json.loads(run_cli("invoke", "thumbs", "--trigger", "cron", "--json").output)
    assert as_cron["status_code"] == 500 and "KeyError: 'Records'" in as_cron["error"]
    as_http = run_cli("invoke", "nightly", "--trigger", "http")
    assert as_http.exit_code == 5
    assert "the handler returned a dict (object) without statusCode" in as_http.output
    mixed = run_cli("invoke", "nightly", "--data", "{}")
    assert mixed.exit_code == 2 and mixed.output.startswith("Error: Invalid value for --data: describes an HTTP")


def test_test_invoke_api_builds_the_trigger_event_and_checks_the_body(fnemu):
    fnemu.deploy("nightly", CRON_FN, triggers=[{"type": "cron", "config": {"schedule": "0 3 * * *"}}])
    path = "/v1/local/functions/nightly/invoke"
    ok = fnemu.client.request("POST", path, json={"trigger": "cron"})
    assert ok.status_code == 200 and ok.json()["consoleLogs"][0]["message"].startswith("Scheduled Event")
    for body, field in [({"trigger": "sqs"}, "trigger"), ({"trigger": "cron", "path": "/x"}, "path"),
                        ({"trigger": "cron", "other": 1}, "other"), ({"trigger": 3}, "trigger")]:
        bad = fnemu.client.request("POST", path, json=body)
        assert bad.status_code == 400 and bad.json()["error"]["field"] == field, bad.text


@pytest.mark.parametrize(("code", "exit_code"), [
    ("return {'statusCode': 201, 'body': 'made'}", 0), ("return {'statusCode': 404, 'body': 'no'}", 4),
    ("return {'statusCode': 503, 'body': 'busy'}", 5), ("raise ValueError('boom')", 5),
])
def test_invoke_exit_code_follows_the_functions_status(fnemu, run_cli, code, exit_code):
    fnemu.deploy("status", f"def handler(event, context):\n    {code}\n")
    assert run_cli("invoke", "status").exit_code == exit_code
    assert run_cli("invoke", "status", "--json").exit_code == exit_code


@pytest.mark.parametrize("args", [
    ["invoke"], ["invoke", "hello", "--nope"], ["logs", "hello", "--limit", "0"], ["clock", "advance", "soon"],
    ["s3", "put", "b", "k", "/etc/hostname", "--app-id", "x"], ["clock", "advance", "5m", "--app-id", "x"],
    ["clock", "show", "--app-id", "x"], ["token", "create", "ada", "--app-id", "x"], ["nope"], ["--nope"],
])
def test_usage_errors_are_one_error_line(fnemu, run_cli, args):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
    assert "Usage:" not in result.output and "--help' for help" not in result.output


def test_logs_follow_says_when_the_server_goes_away():
    from tests.test_cli_start import start, stop

    proc, url = start()
    client = Client(url, "fnemu-dev-token")
    try:
        client.deploy("hello", HELLO)
        client.invoke("hello")
        env = {**os.environ, "FNEMU_URL": url, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        follower = subprocess.Popen([sys.executable, "-m", "emulator", "logs", "hello", "--follow"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(follower.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
        reader.start()
        wait_until(lambda: lines, timeout=30, message="the follower to print the logged entry")
    finally:
        client.close()
        stop(proc)
    reader.join(timeout=30)
    follower.stdout.close()  # type: ignore[union-attr]
    err = follower.stderr.read()  # type: ignore[union-attr]
    follower.stderr.close()  # type: ignore[union-attr]
    assert follower.wait(timeout=30) == 1, (lines, err)
    assert err == f"Error: fnemu at {url} went away (the server stopped): no more log entries\n"


def test_a_plain_http_client_loads_no_ca_bundle_and_https_keeps_the_default() -> None:
    import ssl

    from emulator.client import tls_for

    plain = tls_for("http://127.0.0.1:8787")
    assert isinstance(plain, ssl.SSLContext) and plain.cert_store_stats()["x509_ca"] == 0
    assert tls_for("https://fnemu.example") is True
