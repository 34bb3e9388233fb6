"""§10: which files make a folder function's version, and how its snapshot reaches what lies outside them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emulator.folder.files import is_temp_file, read_files
from emulator.registry.snapshot import write_snapshot
from tests.folder.test_folder import write


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """project/{package.json, node_modules/}, project/functions/{_db.py, other.py, orders/}."""
    root = tmp_path / "project"
    write(root / "package.json", '{"type": "module"}')
    write(root / "node_modules" / "dep" / "index.js", "export default 1;\n")
    functions = root / "functions"
    write(functions / "_db.py", "URL = 'x'\n")
    write(functions / "other.py", "def handler(e, c): pass\n")
    write(functions / "other.json", "{}")
    orders = functions / "orders"
    for name, text in {"main.py": "from helper import X\n", "helper.py": "X = 1\n", "data/prices.json": "{}",
                       ".env": "A=1\n", "function.json": "{}", "node_modules/pkg/index.js": "",
                       "__pycache__/helper.cpython-311.pyc": "", ".git/HEAD": "", ".main.py.swp": "",
                       "main.py~": "", "4913": "", "#main.py#": "", ".#main.py": ""}.items():
        write(orders / name, text)
    return root


def test_a_folder_function_is_every_file_but_tooling_and_temp_files(project):
    orders = project / "functions" / "orders"
    files = read_files(orders / "main.py", orders / "function.json", orders)
    assert sorted(files.files) == [".env", "data/prices.json", "function.json", "helper.py", "main.py"]
    assert files.entry == "main.py" and files.home == orders.resolve()
    assert set(files.links) == {orders.resolve() / "node_modules", project.resolve() / "functions" / "_db.py",
                                project.resolve() / "package.json", project.resolve() / "node_modules"}


def test_the_digest_changes_with_any_file_and_only_then(project):
    orders = project / "functions" / "orders"
    first = read_files(orders / "main.py", None, orders)
    assert read_files(orders / "main.py", None, orders).digest == first.digest
    write(orders / "node_modules" / "pkg" / "index.js", "changed")
    write(orders / ".helper.py.swp", "scratch")
    assert read_files(orders / "main.py", None, orders).digest == first.digest
    write(orders / "data" / "prices.json", '{"a": 1}')
    assert read_files(orders / "main.py", None, orders).digest != first.digest


def test_a_single_file_function_is_its_file_and_its_config(project):
    functions = project / "functions"
    files = read_files(functions / "other.py", functions / "other.json", None)
    assert sorted(files.files) == ["other.json", "other.py"]
    assert set(files.links) == {functions.resolve() / "_db.py", project.resolve() / "package.json",
                                project.resolve() / "node_modules"}


def test_the_snapshot_mirrors_the_files_and_links_what_lies_outside(project, tmp_path):
    orders = project / "functions" / "orders"
    files = read_files(orders / "main.py", None, orders)
    entry = write_snapshot(files, tmp_path / "r1")
    mirror = tmp_path / "r1" / orders.resolve().relative_to(project.resolve())  # from the top link down
    assert entry == mirror / "main.py" and entry.read_text() == "from helper import X\n"
    assert not entry.is_symlink() and (mirror / "data" / "prices.json").read_text() == "{}"
    assert os.readlink(mirror / "node_modules") == str(orders.resolve() / "node_modules")
    assert (mirror.parent / "_db.py").read_text() == "URL = 'x'\n"
    assert (mirror.parent.parent / "node_modules" / "dep" / "index.js").is_file()
    assert sorted(p.name for p in (tmp_path / "r1").iterdir()) == ["functions", "node_modules", "package.json"]
    write(orders / "helper.py", "X = 2\n")
    assert (mirror / "helper.py").read_text() == "X = 1\n"


def test_temp_files_are_editors_scratch_files():
    assert all(map(is_temp_file, [".a.py.swp", "a.py~", "4913", "#a.py#", ".#a.py", "a.py___jb_tmp___"]))
    assert not any(map(is_temp_file, ["a.py", ".env", "data.json", "_db.py"]))


def test_an_executable_file_stays_executable_and_its_mode_is_part_of_the_version(tmp_path):
    script = tmp_path / "functions" / "hello.cgi"
    write(script, "#!/bin/sh\necho 'Content-Type: text/plain'\necho\necho hi\n")
    plain = read_files(script, None, None)
    script.chmod(0o755)
    executable = read_files(script, None, None)
    assert executable.executable == {"hello.cgi"} and not plain.executable
    assert executable.digest != plain.digest
    copy = write_snapshot(executable, tmp_path / "snap")
    assert os.access(copy, os.X_OK) and copy.read_bytes() == script.read_bytes()
