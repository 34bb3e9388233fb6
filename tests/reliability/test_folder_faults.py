"""§5 a functions folder that vanishes and comes back, or cannot be read; and §5 security: a
function's files that are symlinks out of the folder are refused unless `--follow-symlinks`."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers import wait_until
from tests.process import start_server

SAYS = "def handler(event, context):\n    return {{'statusCode': 200, 'body': {body!r}}}\n"
AUTH = {"Authorization": "Bearer fnemu-dev-token"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "functions"
    root.mkdir()
    return root


def _said(emu: Any, name: str) -> str | None:
    response = emu.call(name)
    return response.text if response.status_code == 200 else None


def _lines(caplog: pytest.LogCaptureFixture, words: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "fnemu.folder" and words in r.getMessage()]


def _serving_hello(make_emulator: Any, folder: Path, caplog: pytest.LogCaptureFixture) -> Any:
    """An emulator on `folder`, its `hello` saying "first"; the folder's lines captured."""
    caplog.set_level(logging.INFO, "fnemu.folder")
    (folder / "hello.py").write_text(SAYS.format(body="first"))
    emu = make_emulator(functions_dir=folder)
    assert _said(emu, "hello") == "first"
    return emu


@pytest.mark.fault("a functions folder that vanishes and comes back")
def test_a_folder_deleted_and_made_again_is_loaded_and_watched_again(
        make_emulator: Any, folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    emu = _serving_hello(make_emulator, folder, caplog)
    shutil.rmtree(folder)
    wait_until(lambda: emu.call("hello").status_code == 404, message="the folder's function to go")
    gone = wait_until(lambda: _lines(caplog, "is gone"), message="the folder-gone line")
    assert len(gone) == 1 and str(folder) in gone[0]

    folder.mkdir()
    (folder / "hello.py").write_text(SAYS.format(body="back"))
    wait_until(lambda: _said(emu, "hello") == "back", message="the function to come back with its folder")
    back = wait_until(lambda: _lines(caplog, "is back"), message="the folder-back line")
    assert len(back) == 1 and str(folder) in back[0]
    (folder / "hello.py").write_text(SAYS.format(body="saved"))
    wait_until(lambda: _said(emu, "hello") == "saved", message="a save in the new folder to reload")
    (folder / "added.py").write_text(SAYS.format(body="added"))
    wait_until(lambda: _said(emu, "added") == "added", message="a new file in the new folder to load")


@pytest.mark.fault("a functions folder that vanishes and comes back")
def test_a_folder_renamed_away_and_back_is_watched_again(
        make_emulator: Any, folder: Path, caplog: pytest.LogCaptureFixture) -> None:
    emu = _serving_hello(make_emulator, folder, caplog)
    aside = folder.with_name("aside")
    folder.rename(aside)  # one event for the folder itself, none for its files
    wait_until(lambda: emu.call("hello").status_code == 404, message="the folder's function to go")
    aside.rename(folder)
    wait_until(lambda: _said(emu, "hello") == "first", message="the function to come back")
    (folder / "hello.py").write_text(SAYS.format(body="saved"))
    wait_until(lambda: _said(emu, "hello") == "saved", message="a save to reload")
    assert len(_lines(caplog, "is gone")) == 1 and len(_lines(caplog, "is back")) == 1


# -- symlinks


def _load_error(emu: Any, name: str) -> dict[str, Any] | None:
    return emu.client.get(name).get("loadError")  # type: ignore[no-any-return]


@pytest.fixture
def linked(tmp_path: Path, folder: Path) -> tuple[Path, Path]:
    """A folder with links out of it (a file function, a data file of a folder function) and links
    that stay in it; returns (the outside file, the outside data)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.py"
    secret.write_text(SAYS.format(body="outside"))
    data = outside / "data.txt"
    data.write_text("outside data")
    (folder / "linked.py").symlink_to(secret)
    (folder / "_shared.py").write_text("WORD = 'shared'\n")
    (folder / "hello.py").write_text("from _shared import WORD\n" + SAYS.format(body="hi").replace("'hi'", "WORD"))
    (folder / "alias.py").symlink_to(folder / "hello.py")  # stays inside: fine
    pkg = folder / "pkg"
    pkg.mkdir()
    (pkg / "main.py").write_text("import pathlib\n"
                                 "def handler(event, context):\n"
                                 "    text = (pathlib.Path(__file__).parent / 'data.txt').read_text()\n"
                                 "    return {'statusCode': 200, 'body': text}\n")
    (pkg / "data.txt").symlink_to(data)
    return secret, data


def test_function_files_linking_out_of_the_folder_are_refused_and_named(
        make_emulator: Any, folder: Path, linked: tuple[Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "fnemu.folder")
    secret, data = linked
    emu = make_emulator(functions_dir=folder)
    for name, link, target in (("linked", folder / "linked.py", secret), ("pkg", folder / "pkg" / "data.txt", data)):
        problem = wait_until(lambda: _load_error(emu, name), message=f"{name}'s load error")  # noqa: B023
        assert problem["file"] == str(link) and problem["servingVersion"] is None
        assert str(target) in problem["message"] and "outside the functions folder" in problem["message"]
        assert "--follow-symlinks" in problem["message"]
        response = emu.call(name)
        assert response.status_code == 500 and response.json()["error"]["code"] == "load_failed"
        assert "outside" not in response.text.replace("outside the functions folder", "")
        lines = [r.getMessage() for r in caplog.records if r.name == "fnemu.folder" and str(link) in r.getMessage()]
        assert len(lines) == 1 and str(target) in lines[0], lines
    assert _said(emu, "hello") == "shared"  # a shared module fnemu links into the snapshot
    assert _said(emu, "alias") == "shared"  # a link that stays inside the folder


def test_follow_symlinks_loads_them(make_emulator: Any, folder: Path, linked: tuple[Path, Path]) -> None:
    emu = make_emulator(functions_dir=folder, follow_symlinks=True)
    assert _said(emu, "linked") == "outside"
    assert _said(emu, "pkg") == "outside data"
    assert _load_error(emu, "linked") is None and _load_error(emu, "pkg") is None


def test_fnemu_start_takes_follow_symlinks(tmp_path: Path, folder: Path, linked: tuple[Path, Path]) -> None:
    for args, status in (((), 500), (("--follow-symlinks",), 200)):
        server = start_server(tmp_path, "--functions-dir", str(folder), *args)
        try:
            assert httpx.get(f"{server.url}/v1/local/fn/linked", headers=AUTH, timeout=30).status_code == status
        finally:
            server.stop()


# -- unreadable files and folders


def _unprivileged() -> tuple[str, ...]:
    """A prefix that runs fnemu without the power to read files whatever their mode: none when
    the tests do not run as root; as root, a user namespace with no root mapped in it (root-owned
    files are then read by their mode bits: chmod 000 bites)."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("unshare") is None or subprocess.run(["unshare", "--user", "true"],
                                                         capture_output=True).returncode != 0:
        pytest.skip("running as root, where `unshare --user` is not allowed: root reads files whatever their mode")
    return ("unshare", "--user")


@pytest.mark.fault("an unreadable functions folder or file")
def test_unreadable_files_and_folders_are_named_the_rest_keeps_serving_and_they_load_when_readable(
        tmp_path: Path, folder: Path) -> None:
    prefix = _unprivileged()
    (folder / "good.py").write_text(SAYS.format(body="good"))
    (folder / "later.py").write_text(SAYS.format(body="later"))
    (folder / "locked.py").write_text(SAYS.format(body="locked"))
    pkg = folder / "pkg"
    pkg.mkdir()
    (pkg / "main.py").write_text(SAYS.format(body="pkg"))
    (folder / "locked.py").chmod(0)  # unreadable from the start: never loaded
    server = start_server(tmp_path, "--functions-dir", str(folder), watch=True, prefix=prefix)
    try:
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as client:
            def said(name: str) -> tuple[int, str]:
                response = client.get(f"/v1/local/fn/{name}")
                return response.status_code, response.text

            def problem(name: str) -> str:
                error = client.get(f"/v1/local/functions/{name}").json().get("loadError")
                return f"{error['file']}: {error['message']}" if error else ""

            assert said("locked")[0] == 500
            assert problem("locked") == f"{folder / 'locked.py'}: cannot read: Permission denied"
            assert said("good") == (200, "good") and said("pkg") == (200, "pkg")

            (folder / "later.py").chmod(0)  # unreadable while served: the last good version serves on
            pkg.chmod(0)
            wait_until(lambda: problem("later") and problem("pkg"), message="the unreadable files to be named")
            assert problem("later") == f"{folder / 'later.py'}: cannot read: Permission denied"
            assert "Permission denied" in problem("pkg") and str(pkg) in problem("pkg")
            assert said("later") == (200, "later") and said("pkg") == (200, "pkg") and said("good") == (200, "good")

            for path in (folder / "locked.py", folder / "later.py"):
                path.chmod(0o644)
            pkg.chmod(0o755)
            wait_until(lambda: said("locked") == (200, "locked"), message="the file to load once readable")
            wait_until(lambda: not problem("later") and not problem("pkg"), message="the errors to end")
            (pkg / "main.py").write_text(SAYS.format(body="pkg saved"))
            wait_until(lambda: said("pkg") == (200, "pkg saved"), message="a save in the readable folder to reload")

            folder.chmod(0)  # the whole folder: every function keeps serving
            wait_until(lambda: "cannot be read (Permission denied)" in server.stderr_text(),
                       message="the unreadable-folder line")
            assert said("good") == (200, "good")
            folder.chmod(0o755)
            wait_until(lambda: f"functions folder {folder} is back" in server.stderr_text(),
                       message="the folder-back line")
            (folder / "new.py").write_text(SAYS.format(body="new"))
            wait_until(lambda: said("new") == (200, "new"), message="a new file once the folder is readable")
    finally:
        folder.chmod(0o755)
        server.stop()
    assert "Traceback" not in server.stderr_text()


@pytest.mark.parametrize("how", [["--fnemu-follow-symlinks"], ["-o", "fnemu_follow_symlinks=true"]])
def test_the_pytest_plugin_takes_follow_symlinks(pytester: pytest.Pytester, tmp_path: Path, folder: Path,
                                                 linked: tuple[Path, Path], how: list[str]) -> None:
    pytester.makepyfile(test_linked="""
        def test_linked(fnemu):
            assert fnemu.call("linked").status_code == 200
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fnemu-functions-dir", str(folder), *how)
    result.assert_outcomes(passed=1)
