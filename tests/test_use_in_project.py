"""README "Use it in your project", run as written: install fnemu from a checkout and from a
wheel into a project's own environment, then `fnemu start` and the pytest fixture there.

The project's environment is a fresh venv; its `pip install` lines run verbatim, with
PIP_NO_DEPS=1: fnemu's pinned dependencies (and pytest's) are read from this suite's environment
through a .pth file instead of being installed again, which would take minutes. What is
checked is what an install can get wrong: the package, its data files (the workers' bootstraps,
the OpenAPI file) and its two entry points (the `fnemu` command and the pytest plugin)."""

from __future__ import annotations

import os
import re
import subprocess
import sysconfig
from pathlib import Path

import httpx

from tests.helpers import fresh_clone

ROOT = Path(__file__).resolve().parent.parent
HELLO = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi'}\n"


def _section() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Use it in your project")
    return readme[start:readme.index("\n## ", start + 1)]


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def _commands(block: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line]


def test_the_readme_install_and_first_steps_work_in_a_fresh_project(tmp_path: Path) -> None:
    checkout = fresh_clone(tmp_path / "fnemu")
    project = tmp_path / "project"
    (project / "functions").mkdir(parents=True)
    (project / "functions" / "hello.py").write_text(HELLO)
    venv = project / ".venv"
    subprocess.run(["python3.11", "-m", "venv", venv], check=True, timeout=300)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    (site / "suite_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}", "PIP_NO_DEPS": "1"}
    env.pop("VIRTUAL_ENV", None)

    def sh(command: str) -> None:
        done = subprocess.run(["sh", "-c", command], cwd=project, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (command, done.stdout, done.stderr)

    def installed_from() -> str:
        return subprocess.run([venv / "bin" / "python", "-c", "import emulator; print(emulator.__file__)"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout

    install, usage = _blocks(_section(), "sh")
    from_checkout, *from_wheel = [c.replace("/path/to/fnemu", str(checkout)) for c in _commands(install)]
    assert [c.split()[:2] for c in [from_checkout, *from_wheel]] == [["pip", "install"], ["pip", "wheel"],
                                                                      ["pip", "install"]]
    sh(from_checkout)
    assert installed_from().startswith(str(site))  # a copy in the project's environment
    sh("pip uninstall -y fnemu")
    for command in from_wheel:
        sh(command)
    assert installed_from().startswith(str(site))
    sh("pip install --ignore-installed pytest==9.2.0")  # the project's own

    start, run_tests = _commands(usage)
    assert start == "fnemu start --functions-dir functions" and run_tests == "pytest"
    server = subprocess.Popen(["sh", "-c", f"exec {start} --port 0"], cwd=project, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        url = re.search(r"http://127\.0\.0\.1:\d+", server.stdout.readline())
        assert url, "no URL on the first line"
        answer = httpx.get(f"{url.group(0)}/v1/local/fn/hello", headers={"Authorization": "Bearer fnemu-dev-token"})
        assert (answer.status_code, answer.text) == (200, "hi")
    finally:
        server.terminate()
        server.communicate(timeout=30)

    (project / "tests").mkdir()
    (project / "tests" / "test_hello.py").write_text(_blocks(_section(), "python")[0])
    tested = subprocess.run(["sh", "-c", run_tests], cwd=project, env=env, capture_output=True, text=True,
                            timeout=300)
    assert tested.returncode == 0 and "1 passed" in tested.stdout, tested.stdout + tested.stderr
