"""§1 `{app_id}`: 1-64 ASCII letters, digits, '-', '_' and '.', not '.' or '..'; anything else is a
400 naming `app_id` on every route that has one, and nothing is ever written outside the
emulator's own code folder."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import emulator
from emulator.errors import BadRequest
from emulator.registry.spec import validate_app_id

from tests.process import ServerProcess, start_server
from .expect import OK, api_error

BAD_APP_IDS = [
    pytest.param("%2E%2E", id="dot-dot"),
    pytest.param("%2E", id="dot"),
    pytest.param("..%2F..%2Fetc", id="dot-dot-slash-etc"),
    pytest.param("..%2F..%2F..%2Fescaped", id="dot-dot-slash-escaped"),
    pytest.param("a%2Fb", id="slash"),
    pytest.param("a%5Cb", id="backslash"),
    pytest.param("%00", id="nul"),
    pytest.param("a%00b", id="nul-inside"),
    pytest.param("a" * 65, id="65-chars"),
    pytest.param("a" * 256, id="256-chars"),
    pytest.param("%C3%A9t%C3%A9", id="non-ascii"),
    pytest.param("a%20b", id="space"),
    pytest.param("a%0A", id="trailing-newline"),
]
OPENAPI = Path(emulator.__file__).resolve().parent / "openapi.yaml"
GOOD_APP_IDS = ["a", "A" * 64, "my.app-1_x", "..a", "a..", "...", "-"]


def test_rule_in_spec() -> None:
    for good in GOOD_APP_IDS:
        assert validate_app_id(good) == good
    for bad in ["", ".", "..", "a/b", "a\\b", "\x00", "a" * 65, "été", "a\n", "١"]:
        with pytest.raises(BadRequest) as info:
            validate_app_id(bad)
        assert info.value.field == "app_id"


def _app_id_routes() -> list[tuple[str, str]]:
    """(method, path template) of every operation with an `{app_id}` in the OpenAPI file, which
    tests/test_openapi.py holds equal to the app's routes: a new route is covered here unasked."""
    doc = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return sorted((method.upper(), path) for path, item in doc["paths"].items() if "{app_id}" in path
                  for method in item if method in ("get", "post", "put", "patch", "delete"))


ROUTES = _app_id_routes()


def test_the_route_list_is_not_empty() -> None:
    paths = {path for _, path in ROUTES}
    assert "/v1/{app_id}/functions" in paths
    assert "/v1/{app_id}/fn/{name}" in paths
    assert "/_emu/cron/{app_id}/{name}" in paths
    assert "/v1/{app_id}/functions/{name}/logs/stream" in paths


@pytest.mark.parametrize("app_id", BAD_APP_IDS)
@pytest.mark.parametrize(("method", "template"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_bad_app_id_is_400_on_every_route(fnemu: Any, method: str, template: str, app_id: str) -> None:
    path = template.replace("{app_id}", app_id).replace("{name}", "fn").replace("{rest}", "x").replace("{id}", "x")
    kwargs: dict[str, Any] = {}
    if method in ("POST", "PATCH"):
        kwargs["json"] = {"name": "fn", "code": OK}
    r = fnemu.http.request(method, path, headers={"Authorization": f"Bearer {fnemu.token}"}, **kwargs)
    api_error(r, 400, "app_id", "1-64 characters", "not '.' or '..'")


def test_good_app_ids_deploy_and_their_url_answers(fnemu: Any) -> None:
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    for app_id in GOOD_APP_IDS:
        r = fnemu.http.post(f"/v1/{app_id}/functions", json={"name": "fn", "code": OK}, headers=headers)
        assert r.status_code == 201, r.text
        url = r.json()["url"]
        assert url == f"{fnemu.url}/v1/{app_id}/fn/fn"
        assert httpx.get(url, headers=headers).text == "ok"


# -- traversal: a real server with its own TMPDIR; nothing may appear outside its code folder --

def _tree(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    # TMPDIR three levels down, so "../../.." from the code folder still lands inside tmp_path
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    proc = start_server(folder)
    try:
        yield proc, tmp_path
    finally:
        proc.stop()


def _raw_post(url: str, target: str, body: bytes) -> bytes:
    """A request whose target is sent byte for byte (clients would resolve `..` first)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"POST {target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer fnemu-dev-token\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                     f"Connection: close\r\n\r\n".encode() + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_no_app_id_writes_outside_the_code_folder(server: tuple[ServerProcess, Path]) -> None:
    proc, root = server
    headers = {"Authorization": "Bearer fnemu-dev-token"}
    body = {"name": "fn", "code": OK}
    with httpx.Client(base_url=proc.url, headers=headers) as client:
        assert client.post("/v1/good/functions", json=body).status_code == 201  # the code folder exists now
        before = _tree(root)
        answers = [client.post(f"/v1/{param.values[0]}/functions", json=body) for param in BAD_APP_IDS]
    raw = b'{"name": "fn", "code": "def handler(e, c):\\n    return {}\\n"}'
    answers_raw: list[bytes] = []
    for target in ["/v1/../functions", "/v1/./functions", "/v1/../../../../etc/functions",
                   "/v1/%2e%2e/functions", "/v1/..%2f..%2f..%2fescaped/functions"]:
        answers_raw.append(_raw_post(proc.url, target, raw))
    assert sorted(map(str, _tree(root) - before)) == []
    for answer in answers:
        api_error(answer, 400, "app_id")
    for status_line in answers_raw:  # "..", "." resolve before routing (404); encoded ones are 400
        assert status_line.split(b"\r\n", 1)[0].split()[1] in (b"400", b"404"), status_line[:200]
    code = [p for p in before if p.parts[:3] == ("a", "b", "tmp") and (root / p).is_file()]
    assert code and all(p.parts[3].startswith("fnemu-code-") for p in code), code
    assert {p.parts[:2] for p in before if len(p.parts) > 1} == {("a", "b")}
