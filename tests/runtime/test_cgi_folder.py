"""§10 CGI scripts in the functions folder: Python and Node scripts chosen with `runtime: "cgi"`,
and `NAME.cgi` executables run by their shebang."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, wait_until

SHELL = """#!/bin/sh
echo "Status: 202 Accepted"
echo "Content-Type: text/plain"
echo
echo "sh says $REQUEST_METHOD $PATH_INFO $QUERY_STRING $GREETING"
echo "sh stderr" >&2
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "functions"
    root.mkdir()
    return root


def test_python_node_and_shell_scripts_serve_from_the_folder(folder: Path, make_emulator: Any) -> None:
    (folder / "py.py").write_text((FIXTURES / "cgi" / "script.py").read_text())
    (folder / "py.json").write_text('{"runtime": "cgi"}')
    (folder / "js.mjs").write_text((FIXTURES / "cgi" / "script.mjs").read_text())
    (folder / "js.json").write_text('{"runtime": "cgi"}')
    shell = folder / "shell.cgi"
    shell.write_text(SHELL)
    shell.chmod(0o755)
    (folder / "shell.json").write_text('{"envVars": {"GREETING": "hello"}}')
    emu = make_emulator(functions_dir=folder)
    fns = {f["name"]: f for f in emu.client.list()}
    assert {name: fns[name]["runtime"] for name in ("py", "js", "shell")} == dict.fromkeys(("py", "js", "shell"), "cgi")
    assert emu.call("py", "GET", "/a?x=1").json()["env"]["PATH_INFO"] == "/a"
    assert emu.call("js", "GET", "/b").json()["env"]["PATH_INFO"] == "/b"
    r = emu.call("shell", "POST", "/c/d?q=1")
    assert (r.status_code, r.text) == (202, "sh says POST /c/d q=1 hello\n")
    (entry,) = emu.logs("shell")
    assert [(line["level"], line["message"]) for line in entry["consoleLogs"]] == [("error", "sh stderr")]


def test_a_saved_script_serves_its_new_version(folder: Path, make_emulator: Any) -> None:
    shell = folder / "shell.cgi"
    shell.write_text(SHELL)
    shell.chmod(0o755)
    emu = make_emulator(functions_dir=folder)
    assert emu.call("shell").status_code == 202
    shell.write_text(SHELL.replace("202 Accepted", "203 Non-Authoritative Information"))
    wait_until(lambda: emu.call("shell").status_code == 203, message="the saved script to serve")


@pytest.mark.parametrize(("text", "mode", "error"), [
    (SHELL, 0o644, "shell.cgi is not executable"),
    ("echo no shebang\n", 0o755, "shell.cgi has no shebang line"),
    ("#!/usr/bin/no-such-shell\necho hi\n", 0o755,
     "shell.cgi: its shebang names '/usr/bin/no-such-shell', which is not an installed program"),
])
def test_a_script_that_cannot_run_says_why(folder: Path, make_emulator: Any, caplog: pytest.LogCaptureFixture,
                                          text: str, mode: int, error: str) -> None:
    shell = folder / "shell.cgi"
    shell.write_text(text)
    shell.chmod(mode)
    emu = make_emulator(functions_dir=folder)
    wait_until(lambda: any(error in r.getMessage() for r in caplog.records), message="the start-up error")
    assert emu.call("shell").status_code == 500
    assert error in emu.logs("shell")[0]["error"]

