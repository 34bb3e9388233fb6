"""§10 the functions folder: what it defines, hot reload on save, the last good version on errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.folder.watch import affected_names
from tests.helpers import wait_until

HELLO = "def handler(event, context):\n    return {{'statusCode': 200, 'body': {body!r}}}\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def atomic_write(path: Path, text: str) -> None:
    """What editors' safe-write does: a temp file renamed over the target."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def body_of(emu, name: str) -> str | None:
    response = emu.call(name)
    return response.text if response.status_code == 200 else None


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "functions"
    root.mkdir()
    return root


def test_folder_defines_files_and_folders_with_config_and_env(folder, make_emulator):
    write(folder / "plain.py", HELLO.format(body="plain"))
    write(folder / "plain.json", '{"timeoutMs": 1234, "description": "from json"}')
    write(folder / "pkg" / "main.py", "import os\nfrom helper import greet\n"
          "def handler(event, context):\n    return {'statusCode': 200, 'body': greet(os.environ['WHO'])}\n")
    write(folder / "pkg" / "helper.py", "def greet(who):\n    return 'hi ' + who\n")
    write(folder / "pkg" / "function.json", '{"envVars": {"EXTRA": "1"}}')
    write(folder / "pkg" / ".env", "WHO=folks\n")
    write(folder / "_shared.py", "X = 1\n")
    write(folder / "lib" / "notes.txt", "not a function\n")
    emu = make_emulator(functions_dir=folder)
    fns = {f["name"]: f for f in emu.client.list()}
    assert set(fns) == {"plain", "pkg"}
    assert fns["plain"]["timeoutMs"] == 1234 and fns["plain"]["description"] == "from json"
    assert fns["plain"]["source"] == "folder"
    assert fns["pkg"]["envVars"] == ["EXTRA", "WHO"]
    assert body_of(emu, "pkg") == "hi folks"


def test_saving_a_file_redeploys_and_the_next_request_runs_it(folder, make_emulator):
    write(folder / "hello.py", HELLO.format(body="one"))
    emu = make_emulator(functions_dir=folder)
    assert body_of(emu, "hello") == "one"
    write(folder / "hello.py", HELLO.format(body="two"))
    wait_until(lambda: body_of(emu, "hello") == "two", message="the saved code to serve")
    assert emu.client.get("hello")["version"] == 2


def test_atomic_replace_is_one_redeploy_of_the_final_content(folder, make_emulator):
    write(folder / "hello.py", HELLO.format(body="one"))
    emu = make_emulator(functions_dir=folder)
    atomic_write(folder / "hello.py", HELLO.format(body="atomic"))
    wait_until(lambda: body_of(emu, "hello") == "atomic", message="the atomic save to serve")
    assert emu.client.get("hello")["version"] == 2


def test_burst_of_saves_coalesces_and_the_final_version_serves(folder, make_emulator):
    write(folder / "hello.py", HELLO.format(body="start"))
    emu = make_emulator(functions_dir=folder)
    burst = (f"import pathlib\nfor i in range(20):\n    pathlib.Path({str(folder / 'hello.py')!r}).write_text("
             f"{HELLO!r}.format(body=f'save {{i}}'))\n")
    subprocess.run([sys.executable, "-c", burst], check=True)  # an editor is its own process
    wait_until(lambda: body_of(emu, "hello") == "save 19", timeout=30, message="the last save to serve")
    version = emu.client.get("hello")["version"]
    assert 2 <= version <= 8, f"{version - 1} redeploys for a burst of 20 saves"


def test_broken_code_keeps_the_last_good_version_until_fixed(folder, make_emulator, caplog):
    write(folder / "hello.py", HELLO.format(body="good"))
    emu = make_emulator(functions_dir=folder)
    write(folder / "hello.py", "def handler(event, context):\n    return (\n")
    wait_until(lambda: any("hello.py" in r.getMessage() and "line 2" in r.getMessage()
                           for r in caplog.records), message="the error with file and line")
    assert body_of(emu, "hello") == "good"
    write(folder / "hello.py", HELLO.format(body="fixed"))
    wait_until(lambda: body_of(emu, "hello") == "fixed", message="the fixed code to serve")


def test_invalid_config_is_reported_with_its_file_and_keeps_serving(folder, make_emulator, caplog):
    write(folder / "hello.py", HELLO.format(body="good"))
    emu = make_emulator(functions_dir=folder)
    write(folder / "hello.json", '{"timeoutMs": 0}')
    wait_until(lambda: any("hello.json" in r.getMessage() and "timeoutMs" in r.getMessage()
                           for r in caplog.records), message="the config error")
    write(folder / "other.json", '{"timeoutMs": ')
    assert body_of(emu, "hello") == "good"
    assert emu.client.get("hello")["timeoutMs"] == 30000


def test_new_file_deploys_and_removed_file_deletes(folder, make_emulator):
    write(folder / "hello.py", HELLO.format(body="hello"))
    emu = make_emulator(functions_dir=folder)
    write(folder / "fresh.py", HELLO.format(body="fresh"))
    wait_until(lambda: body_of(emu, "fresh") == "fresh", message="the new file to deploy")
    (folder / "hello.py").unlink()
    wait_until(lambda: emu.call("hello").status_code == 404, message="the removed file to be deleted")


def test_shared_module_change_redeploys_the_functions_beside_it(folder, make_emulator):
    write(folder / "_greeting.py", "TEXT = 'v1'\n")
    write(folder / "hello.py", "from _greeting import TEXT\n"
          "def handler(event, context):\n    return {'statusCode': 200, 'body': TEXT}\n")
    emu = make_emulator(functions_dir=folder)
    assert body_of(emu, "hello") == "v1"
    write(folder / "_greeting.py", "TEXT = 'v2'\n")
    wait_until(lambda: body_of(emu, "hello") == "v2", message="the shared module change to serve")


def test_api_deploys_live_beside_folder_functions(folder, make_emulator):
    write(folder / "hello.py", HELLO.format(body="folder"))
    emu = make_emulator(functions_dir=folder)
    emu.deploy("api_fn", HELLO.format(body="api"))
    write(folder / "hello.py", HELLO.format(body="folder 2"))
    wait_until(lambda: body_of(emu, "hello") == "folder 2", message="the folder save")
    assert body_of(emu, "api_fn") == "api"
    assert {f["name"]: f["source"] for f in emu.client.list()} == {"hello": "folder", "api_fn": "api"}


def test_no_watch_loads_once(folder, make_emulator):
    write(folder / "hello.py", HELLO.format(body="once"))
    emu = make_emulator(functions_dir=folder, watch=False)
    assert body_of(emu, "hello") == "once"  # its worker is warm: a later spawn reads the file anew
    write(folder / "hello.py", HELLO.format(body="changed"))
    emu.deploy("probe", HELLO.format(body="probe"))  # a full deploy takes longer than a reload would
    assert body_of(emu, "hello") == "once"


def test_affected_names_ignores_editor_temp_files_and_tooling(tmp_path):
    root = tmp_path
    paths = [str(root / p) for p in (".hello.py.swp", "hello.py~", "4913", "#hello.py#",
                                     "node_modules/x/index.js", "__pycache__/a.pyc", "notes.txt")]
    assert affected_names(root, paths, {"hello"}) == (set(), set())
    assert affected_names(root, [str(root / "hello.py"), str(root / "pkg" / "main.py")], set()) == (
        {"hello", "pkg"}, set())
    assert affected_names(root, [str(root / "_db.py"), str(root / "a.py")], {"a", "b"}) == ({"a", "b"}, {"a", "b"})


def test_broken_file_at_start_is_reported_and_the_others_serve(folder, make_emulator, caplog):
    write(folder / "good.py", HELLO.format(body="good"))
    write(folder / "bad.py", "def handler(event, context):\n    return (\n")
    emu = make_emulator(functions_dir=folder)
    assert body_of(emu, "good") == "good"
    wait_until(lambda: any("bad.py" in r.getMessage() and "line 2" in r.getMessage()
                           for r in caplog.records), message="the start-up error with file and line")
    response = emu.call("bad")
    assert response.status_code == 500
    assert "line 2" in emu.logs("bad")[0]["error"]


def test_a_save_that_changes_nothing_makes_no_new_version(folder, make_emulator):
    write(folder / "hello.py", HELLO.format(body="same"))
    write(folder / "other.py", HELLO.format(body="other"))
    emu = make_emulator(functions_dir=folder)
    write(folder / "hello.py", HELLO.format(body="same"))
    write(folder / "other.py", HELLO.format(body="other 2"))
    wait_until(lambda: body_of(emu, "other") == "other 2", message="the changed file to serve")
    assert emu.client.get("hello")["version"] == 1
