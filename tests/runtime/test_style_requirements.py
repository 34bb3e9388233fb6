"""§5 a style whose library is missing from the interpreter that runs the functions is refused at
deploy with a 400 that says how to fix it; a style that needs nothing still runs there."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.pytest_plugin import Emulator
from tests.helpers import fixture_code


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A venv with nothing installed: no Flask, no azure-functions, no orjson."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    return str(venv / "bin" / "python")


@pytest.mark.parametrize(("style", "code", "label", "package"), [
    ("gcf", fixture_code("python/gcf_echo.py"), "Flask", "flask"),
    ("azure", fixture_code("python/azure_echo.py"), "azure-functions", "azure-functions"),
])
def test_missing_library_is_a_400_saying_how_to_install_it(make_emulator: Callable[..., Emulator],
                                                           bare_python: str, style: str, code: str,
                                                           label: str, package: str) -> None:
    emu = make_emulator(python=bare_python)
    response = emu.client.http.post("/v1/local/functions", json={"name": "fn", "code": code})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "runtime"
    assert error["message"] == (f"runtime: the {style} style needs {label} in the Python that runs the functions "
                                f"({bare_python}): {bare_python} -m pip install {package}")
    assert emu.client.http.get("/v1/local/functions/fn").status_code == 404


def test_lambda_needs_nothing_and_runs_on_a_bare_interpreter(make_emulator: Callable[..., Emulator],
                                                             bare_python: str, tmp_path: Path) -> None:
    emu = make_emulator(python=bare_python)
    emu.deploy("plain", "import sys\ndef handler(event, context):\n"
                        "    return {'statusCode': 200, 'body': sys.prefix}\n")
    assert emu.call("plain").text == str(Path(bare_python).parent.parent)


def test_installing_the_library_is_enough_for_the_next_deploy(make_emulator: Callable[..., Emulator],
                                                              tmp_path: Path) -> None:
    """A missing library is looked for again at each deploy: nothing remembers the failure."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    emu = make_emulator(python=python)
    code = "def main(request):\n    return 'ok'\n"
    assert emu.client.http.post("/v1/local/functions", json={"name": "fn", "code": code}).status_code == 400
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "test-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")  # Flask, as if installed
    emu.deploy("fn", code)
    assert emu.call("fn").text == "ok"
