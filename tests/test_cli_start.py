"""§1 and §11 `fnemu start`: the ready line, the function table, clean stops, one-line errors."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.helpers import wait_until

FNEMU = [sys.executable, "-m", "emulator"]
HELLO = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n"


def start(*args: str, cwd: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([*FNEMU, "start", "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=cwd,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", first)
    assert match, f"first line has no URL: {first!r}"
    return proc, match.group(0)


def stop(proc: subprocess.Popen[str], sig: int = signal.SIGTERM) -> tuple[int, str]:
    """Signal the server; the rest of its stdout (read through the same buffer as the first line)."""
    proc.send_signal(sig)
    assert proc.stdout is not None
    out = proc.stdout.read()
    proc.stdout.close()
    return proc.wait(timeout=20), out


def test_first_stdout_line_is_the_url_then_the_function_table(tmp_path):
    folder = tmp_path / "functions"
    folder.mkdir()
    (folder / "hello.py").write_text(HELLO)
    proc, url = start("--functions-dir", str(folder))
    try:
        health = httpx.get(f"{url}/_emu/health", headers={"Authorization": "Bearer fnemu-dev-token"})
        assert health.json()["status"] == "ok"
        r = httpx.get(f"{url}/v1/local/fn/hello", headers={"Authorization": "Bearer fnemu-dev-token"})
        assert r.text == "hi"
    finally:
        code, out = stop(proc)
    assert code == 0
    assert f"UI: {url}/_emu/ui\n" in out
    assert f"{url}/v1/local/fn/hello" in out
    assert re.search(r"hello\s+http\s+GET /\s+200", out), out


def test_default_functions_folder_and_token_from_env(tmp_path):
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "hello.py").write_text(HELLO)
    env_token = "from-env"
    proc = subprocess.Popen([*FNEMU, "start", "--port", "0"], stdout=subprocess.PIPE, text=True, cwd=tmp_path,
                            env={**os.environ, "FNEMU_TOKEN": env_token,
                                 "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert proc.stdout is not None
    url = re.search(r"http://\S+", proc.stdout.readline()).group(0)  # type: ignore[union-attr]
    try:
        assert httpx.get(f"{url}/v1/local/fn/hello", headers={"Authorization": f"Bearer {env_token}"}).text == "hi"
        assert httpx.get(f"{url}/v1/local/fn/hello",
                         headers={"Authorization": "Bearer fnemu-dev-token"}).status_code == 401
    finally:
        assert stop(proc, signal.SIGINT)[0] == 0


def test_sigint_stops_cleanly():
    proc, _ = start()
    code, _ = stop(proc, signal.SIGINT)
    assert code == 0


def test_port_in_use_is_one_clear_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run([*FNEMU, "start", "--port", str(port)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"could not listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--functions-dir", "/nonexistent/folder"], "is not a folder"),
    (["--port", "70000"], "70000"),
    (["--log-format", "xml"], "xml"),
    (["--app-id", "../etc"], "--app-id"),
    (["--app-id", ".."], "not '.' or '..'"),
])
def test_bad_options_are_one_clear_line(args, message):
    result = subprocess.run([*FNEMU, "start", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and message in result.stderr


def test_a_parent_that_stops_reading_stdout_never_blocks_the_server(tmp_path):
    """Scripts often read only the ready line; the per-invocation lines must not fill the pipe
    and stall the event loop."""
    (tmp_path / "hello.py").write_text(HELLO)
    proc, url = start("--functions-dir", str(tmp_path))
    try:
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer fnemu-dev-token"}, timeout=10) as client:
            for _ in range(1500):  # ~100 KiB of invocation lines, more than a pipe holds
                assert client.get("/v1/local/fn/hello").status_code == 200
    finally:
        proc.kill()
        proc.wait(timeout=20)
        proc.stdout.close()  # type: ignore[union-attr]


def test_stdout_to_dev_null_serves_and_stops_cleanly():
    """/dev/null is neither a pipe nor a terminal: the event loop cannot watch it, so it is written
    directly (a pipe transport on it aborted the process)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([*FNEMU, "start", "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    try:
        health = wait_until(lambda: _health(port), message="the server to answer")
        assert health.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err


def _health(port: int) -> httpx.Response | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/_emu/health")
    except httpx.TransportError:
        return None


def test_an_s3_client_right_after_the_ready_lines_is_served_not_refused(tmp_path):
    """The fake S3's line is printed while moto may still be loading: a client that uses it at
    once waits for it, and finds the bucket the folder's trigger names already made."""
    import boto3

    folder = tmp_path / "functions"
    folder.mkdir()
    (folder / "up.py").write_text("def handler(event, context):\n    return {'statusCode': 200}\n")
    (folder / "up.json").write_text('{"triggers": [{"type": "s3_upload", "config": {"bucket": "right-away"}}]}')
    proc, url = start("--functions-dir", str(folder))
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.match(r"fake S3 on (http://127\.0\.0\.1:\d+) ", line)
        assert match, f"second line is not the fake S3's: {line!r}"
        s3 = boto3.client("s3", endpoint_url=match.group(1), region_name="us-east-1",
                          aws_access_key_id="k", aws_secret_access_key="s")
        s3.put_object(Bucket="right-away", Key="first.txt", Body=b"x")
        assert [o["Key"] for o in s3.list_objects_v2(Bucket="right-away")["Contents"]] == ["first.txt"]
        token = {"Authorization": "Bearer fnemu-dev-token"}

        def logged() -> list[dict[str, object]]:
            logs: list[dict[str, object]] = httpx.get(f"{url}/v1/local/functions/up/logs", headers=token).json()["logs"]
            return logs

        entries = wait_until(logged, timeout=30, message="the upload's invocation")
        assert entries[0]["trigger"] == "s3_upload" and entries[0]["status_code"] == 200
    finally:
        code, _ = stop(proc)
    assert code == 0


def test_two_hundred_functions_are_all_listed_and_callable_right_after_start(tmp_path):
    folder = tmp_path / "functions"
    folder.mkdir()
    names = [f"f{i:03d}" for i in range(200)]
    for name in names:
        (folder / f"{name}.py").write_text(
            f"def handler(event, context):\n    return {{'statusCode': 200, 'body': '{name}'}}\n")
    proc, url = start("--functions-dir", str(folder))
    try:
        with httpx.Client(base_url=url, headers={"Authorization": "Bearer fnemu-dev-token"}, timeout=60) as http:
            listed = [fn["name"] for fn in http.get("/v1/local/functions").json()["functions"]]
            assert listed == names
            assert [http.get(f"/v1/local/fn/{name}").text for name in names] == names
    finally:
        code, out = stop(proc)
    assert code == 0
    assert all(f"/v1/local/fn/{name}" in out for name in names)


def test_the_server_is_imported_without_the_ca_bundle_and_the_environment_is_restored(monkeypatch):
    from emulator.cli.start import _without_ca_bundle

    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with _without_ca_bundle():
        assert os.environ["SSL_CERT_FILE"] == os.devnull
    assert "SSL_CERT_FILE" not in os.environ
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/my-bundle.pem")
    with _without_ca_bundle():
        assert os.environ["SSL_CERT_FILE"] == "/etc/my-bundle.pem"
    assert os.environ["SSL_CERT_FILE"] == "/etc/my-bundle.pem"


def test_start_imports_no_other_commands_module_and_help_lists_them_all():
    code = ("import sys, click; from emulator.cli import cli; cli.get_command(click.Context(cli), 'start'); "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('emulator.cli.'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == ["emulator.cli.group", "emulator.cli.start"]
    listed = subprocess.run([*FNEMU, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("start", "deploy", "list", "logs", "clock", "cron", "s3", "webhook", "token", "demo", "init"):
        assert re.search(rf"^  {command}\s", listed, re.M), command
