"""§1 the commands the start-up banner prints run as printed, against the server that printed them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.process import ServerProcess, start_server

RECORDER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def _run(command: str) -> str:
    """The line as a user pastes it into a shell."""
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout


def _next_line(server: ServerProcess) -> str:
    assert server.proc.stdout is not None
    return server.proc.stdout.readline().rstrip("\n")


def test_the_s3_hint_prints_the_endpoint_and_keys(tmp_path: Path) -> None:
    functions = tmp_path / "functions"
    functions.mkdir()
    (functions / "rec.py").write_text(RECORDER)
    (functions / "rec.json").write_text(json.dumps({"triggers": [{"type": "s3_upload",
                                                                  "config": {"bucket": "uploads"}}]}))
    server = start_server(tmp_path, "--functions-dir", str(functions))
    try:
        line = _next_line(server)
        assert line.startswith("fake S3 on http://127.0.0.1:") and line.endswith(")"), line
        command = line.split("(endpoint and keys: ", 1)[1][:-1]
        info = json.loads(_run(command))
        assert info["endpoint_url"] == line.split()[3]
        assert {"region", "access_key_id", "secret_access_key"} <= set(info)
    finally:
        server.stop()


def test_the_empty_server_hint_deploys_a_function_that_answers(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        assert _next_line(server).startswith("UI: http://127.0.0.1:")
        assert _next_line(server) == "no functions yet: deploy one with"
        deployed = json.loads(_run(_next_line(server)))
        assert deployed["name"] == "hello" and deployed["version"] == 1
        answer = httpx.get(deployed["url"], headers={"Authorization": "Bearer fnemu-dev-token"})
        assert (answer.status_code, answer.text) == (200, "hi")
    finally:
        server.stop()
