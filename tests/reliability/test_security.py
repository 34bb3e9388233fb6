"""§1, §2, §5: fnemu listens on loopback unless told (and warns when told otherwise); a function's
process holds none of the emulator's secrets and cannot use the control API without a token."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.process import start_server

AUTH = {"Authorization": "Bearer fnemu-dev-token"}
SNOOP = ("import json, os, urllib.error, urllib.request\n"
         "def handler(event, context):\n"
         "    host = event['headers'].get('Host') or event['headers'].get('host')\n"
         "    try:\n"
         "        urllib.request.urlopen(f'http://{host}/v1/local/functions', timeout=10)\n"
         "        control = 200\n"
         "    except urllib.error.HTTPError as exc:\n"
         "        control = exc.code\n"
         "    return {'statusCode': 200, 'body': json.dumps({'env': dict(os.environ), 'control': control})}\n")


def test_the_default_listens_on_loopback_only(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert "warning" not in server.stderr_text()
    finally:
        server.stop()


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
def test_a_non_loopback_host_is_warned_about(tmp_path: Path, host: str) -> None:
    server = start_server(tmp_path, "--host", host)
    try:
        assert f"warning: listening on {host}, beyond this machine" in server.stderr_text()
    finally:
        server.stop()


def test_a_function_gets_no_emulator_secret_and_no_control_api(tmp_path: Path) -> None:
    token, secret = "dev-token-not-for-functions", "jwt-secret-not-for-functions-0123456789"
    server = start_server(tmp_path, "--token", token, "--jwt-secret", secret)
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            client.post("/v1/local/functions", json={"name": "snoop", "code": SNOOP}).raise_for_status()
            answer = client.get("/v1/local/fn/snoop").json()
        assert answer["control"] == 401
        env = json.dumps(answer["env"])
        assert token not in env and secret not in env
        assert not [name for name in answer["env"] if name.startswith("FNEMU")]
    finally:
        server.stop()
