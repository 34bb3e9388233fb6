"""§13 `fnemu init`: each template's folder passes its own tests with `pytest` run in it, and
`fnemu start` run in it serves the function at once; existing files are never overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from emulator.cli import cli
from emulator.scaffold import TEMPLATES
from tests.test_cli_start import start, stop

_ENV = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "FNEMU_"))}
"""The new folder's pytest runs as a user's would: none of this session's settings."""


def _init(directory: Path, template: str) -> None:
    result = CliRunner().invoke(cli, ["init", str(directory), "--template", template])
    assert result.exit_code == 0, result.output
    assert f"wrote {directory / 'README.md'}" in result.output


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_pytest_passes_in_the_new_folder(tmp_path: Path, template: str) -> None:
    _init(tmp_path / "app", template)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=tmp_path / "app",
                         env=_ENV, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " passed" in run.stdout and "failed" not in run.stdout
    readme = (tmp_path / "app" / "README.md").read_text()
    assert TEMPLATES[template].description in readme and "$" not in readme.split("```")[0]


@pytest.mark.parametrize("template", list(TEMPLATES))
def test_fnemu_start_in_the_new_folder_serves_the_function(tmp_path: Path, template: str) -> None:
    _init(tmp_path, template)
    proc, url = start(cwd=tmp_path)
    try:
        r = httpx.get(f"{url}/v1/local/fn/hello", params={"name": "Ada"},
                      headers={"Authorization": "Bearer fnemu-dev-token"}, timeout=60)
    finally:
        code, out = stop(proc)
    assert (r.status_code, r.json()) == (200, {"message": "Hello, Ada!"}), out
    assert code == 0


def test_existing_files_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "hello.py").write_text("# mine\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "functions/hello.py" in result.output
    assert "overwrites nothing" in result.output and "Traceback" not in result.output
    assert (tmp_path / "functions" / "hello.py").read_text() == "# mine\n"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["functions", "hello.py"], "nothing else written"


def test_default_is_python_lambda_here(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "emulator", "init"], cwd=tmp_path, env=_ENV,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "lambda_handler" in (tmp_path / "functions" / "hello.py").read_text()
    assert "next: fnemu start" in result.stdout
