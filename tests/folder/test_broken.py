"""§10 one rule for folder functions whose files do not load: listed with `loadError` everywhere
(API, `fnemu list`), 500 load_failed until a version loads, the last good version otherwise;
and the folder owns its names (an API deploy or delete of one → 409 naming the file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from emulator.cli import cli
from tests.helpers import wait_until

GOOD = "def handler(event, context):\n    return {{'statusCode': 200, 'body': {body!r}}}\n"
BROKEN = "def handler(event, context):\n    return (\n"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "functions"
    root.mkdir()
    return root


def load_error(emu: Any, name: str) -> dict[str, Any] | None:
    return emu.client.get(name).get("loadError")  # type: ignore[no-any-return]


def listed(emu: Any) -> str:
    result = CliRunner().invoke(cli, ["list", "--url", emu.url, "--token", emu.token], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def assert_never_loaded(emu: Any, name: str, file: Path) -> None:
    problem = wait_until(lambda: load_error(emu, name), message="the load error to be known")
    assert problem["file"] == str(file) and problem["line"] == 2 and problem["servingVersion"] is None
    assert "line 2" in problem["message"] or "SyntaxError" in problem["message"]
    assert [f["loadError"] for f in emu.client.list() if f["name"] == name] == [problem]
    response = emu.call(name)
    assert response.status_code == 500 and response.json()["error"]["code"] == "load_failed"
    invoked = emu.client.invoke(name)
    assert invoked["status_code"] == 500 and str(file) in invoked["error"]
    output = listed(emu)
    assert f"BROKEN {file}, line 2" in output and "no version loaded: calls answer 500 load_failed" in output


def test_broken_at_start_is_listed_and_answers_load_failed(folder, make_emulator):
    write = folder / "broken.py"
    write.write_text(BROKEN)
    (folder / "good.py").write_text(GOOD.format(body="ok"))
    emu = make_emulator(functions_dir=folder)
    assert_never_loaded(emu, "broken", write)
    assert load_error(emu, "good") is None and "BROKEN" not in listed(emu).split("good", 1)[1]


def test_added_broken_while_running_answers_the_same_as_at_start(folder, make_emulator):
    emu = make_emulator(functions_dir=folder)
    (folder / "late.py").write_text(BROKEN)
    wait_until(lambda: any(f["name"] == "late" for f in emu.client.list()), message="the broken file to be listed")
    assert_never_loaded(emu, "late", folder / "late.py")


def test_good_then_broken_serves_the_last_good_and_says_so_until_fixed(folder, make_emulator):
    path = folder / "hello.py"
    path.write_text(GOOD.format(body="good"))
    emu = make_emulator(functions_dir=folder)
    assert emu.call("hello").text == "good" and load_error(emu, "hello") is None
    path.write_text(BROKEN)
    problem = wait_until(lambda: load_error(emu, "hello"), message="the save to be reported broken")
    assert problem["file"] == str(path) and problem["line"] == 2 and problem["servingVersion"] == 1
    assert emu.call("hello").text == "good" and emu.client.get("hello")["version"] == 1
    assert f"BROKEN {path}, line 2" in listed(emu) and "v1 (the last good one) still serves" in listed(emu)
    path.write_text(GOOD.format(body="fixed"))
    wait_until(lambda: emu.call("hello").text == "fixed", message="the fixed code to serve")
    assert load_error(emu, "hello") is None and "BROKEN" not in listed(emu)


def test_never_loaded_then_fixed_serves_and_clears_the_error(folder, make_emulator):
    emu = make_emulator(functions_dir=folder)
    path = folder / "late.py"
    path.write_text(BROKEN)
    wait_until(lambda: any(f["name"] == "late" and f["loadError"] for f in emu.client.list()),
               message="the broken file to be listed")
    path.write_text(GOOD.format(body="works"))
    wait_until(lambda: emu.call("late").text == "works", message="the fixed code to serve")
    assert load_error(emu, "late") is None and "BROKEN" not in listed(emu)


def test_unreadable_config_of_a_new_function_is_listed_with_its_line(folder, make_emulator):
    (folder / "conf.py").write_text(GOOD.format(body="never"))
    (folder / "conf.json").write_text('{\n  "timeoutMs": \n')
    emu = make_emulator(functions_dir=folder)
    problem = load_error(emu, "conf")
    assert problem is not None and problem["file"] == str(folder / "conf.json") and problem["line"] == 3
    assert problem["servingVersion"] is None and "malformed JSON" in problem["message"]
    assert emu.call("conf").json()["error"]["code"] == "load_failed"
    (folder / "conf.json").write_text('{"timeoutMs": 1000}')
    wait_until(lambda: emu.call("conf").text == "never", message="the fixed config to serve")
    assert emu.client.get("conf")["timeoutMs"] == 1000 and load_error(emu, "conf") is None


def test_api_deploy_or_delete_of_a_folder_name_is_409_naming_the_file(folder, make_emulator):
    path = folder / "hello.py"
    path.write_text(GOOD.format(body="folder"))
    emu = make_emulator(functions_dir=folder)
    code = GOOD.format(body="api")
    for method, url, body in [("POST", "/v1/local/functions", {"name": "hello", "code": code}),
                              ("DELETE", "/v1/local/functions/hello", None)]:
        response = emu.client.request(method, url, json=body)
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "conflict" and error["field"] == "name" and str(path) in error["message"]
    assert "deploy under another name" in emu.client.request("POST", "/v1/local/functions",
                                                             json={"name": "hello", "code": code}).text
    assert emu.call("hello").text == "folder" and emu.client.get("hello")["source"] == "folder"
    assert emu.client.deploy("hello-api", code)["source"] == "api"
    other_app = emu.client.request("POST", "/v1/other/functions", json={"name": "hello", "code": code})
    assert other_app.status_code == 201  # the folder is loaded into one app only
