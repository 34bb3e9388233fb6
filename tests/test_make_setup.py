"""The set-up `make run` and `make test` share (Makefile): two makes started together on a fresh
clone both succeed, one set-up runs, and what it prints says what is happening.

A fresh copy of the checkout (its tracked files) gets a pyproject.toml without dependencies: the
set-up steps, the lock and the editable install of fnemu are the real ones, the package index is
the one pip is configured with, and the copy's set-up takes seconds instead of the minute or two
the pinned dependencies take. npm runs offline, from the cache `make test` filled."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import tomllib
from pathlib import Path

from tests.helpers import fresh_clone, wait_until

ROOT = Path(__file__).resolve().parent.parent
SETUP_TIMEOUT_S = 600
SHELL_ENV = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
"""As a developer's shell has it, also when the suite itself runs under `make test`."""


def _fresh_clone_without_dependencies(dest: Path) -> Path:
    fresh_clone(dest)
    pyproject = dest / "pyproject.toml"
    text = re.sub(r"(?ms)^(dependencies|test) = \[.*?^\]", r"\1 = []", pyproject.read_text())
    pyproject.write_text(text)
    project = tomllib.loads(text)["project"]
    assert project["dependencies"] == [] and project["optional-dependencies"]["test"] == []
    return dest


def test_two_makes_at_once_on_a_fresh_clone_share_one_set_up(tmp_path: Path) -> None:
    """The test holds the set-up lock until both makes wait for it, so they meet inside the set-up
    whatever the machine's timing (without it, a quick first set-up can end before the second
    make reaches the lock)."""
    clone = _fresh_clone_without_dependencies(tmp_path / "fnemu")
    env = {**SHELL_ENV, "npm_config_offline": "true", "PYTHON": "python3.11"}
    logs = [tmp_path / f"make-{n}.log" for n in range(2)]
    waiting = "waiting for another make to finish the set-up"
    with open(clone / ".setup.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        makes = []
        for log in logs:
            with log.open("w") as out:  # the make writes to its own copy of the descriptor
                makes.append(subprocess.Popen(["make", "--no-print-directory", "setup"], cwd=clone, env=env,
                                              stdout=out, stderr=subprocess.STDOUT))
        wait_until(lambda: all(waiting in log.read_text() for log in logs), timeout=60,
                   message="both makes waiting for the set-up lock")
        fcntl.flock(lock, fcntl.LOCK_UN)
    for make in makes:
        make.wait(timeout=SETUP_TIMEOUT_S)
    outputs = [log.read_text() for log in logs]
    assert [make.returncode for make in makes] == [0, 0], outputs
    both = "".join(outputs)
    assert both.count("creating .venv with python3.11") == 1, outputs
    assert both.count("installing fnemu and its pinned dependencies into .venv: about") == 1, outputs
    assert both.count("installing the npm packages of fixtures/node/hono") == 1, outputs
    assert both.count(waiting) >= 2, outputs
    assert "compat" not in both and "Traceback" not in both, outputs

    python = clone / ".venv" / "bin" / "python"
    installed = subprocess.run(
        [python, "-c", "import importlib.metadata as m, importlib.resources as r, emulator\n"
                       "print(emulator.__file__)\n"
                       "print([e.value for e in m.entry_points(group='pytest11') if e.name == 'fnemu'])\n"
                       "print((r.files('emulator') / 'runtime' / 'bootstrap' / 'python_worker.py').is_file())"],
        cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split("\n")
    assert installed[:3] == [str(clone / "emulator" / "__init__.py"), "['emulator.pytest_plugin']", "True"]
    assert (clone / ".venv" / "bin" / "fnemu").is_file()
    assert (clone / "fixtures/node/hono/node_modules/hono/package.json").is_file()

    again = subprocess.run(["make", "--no-print-directory", "setup"], cwd=clone, env=env, text=True,
                           capture_output=True, timeout=60)
    assert (again.returncode, again.stdout) == (0, "make: Nothing to be done for 'setup'.\n")


def test_make_run_prints_the_url_first() -> None:
    """Once set up (`make test` set it up), the first line of `make run` is the URL, as the README says."""
    assert subprocess.run(["make", "-q", ".venv/.installed"], cwd=ROOT, env=SHELL_ENV).returncode == 0, \
        "the set-up is stale: run make setup"
    run = subprocess.Popen(["make", "--no-print-directory", "run", "ARGS=--port 0 --no-watch"], cwd=ROOT,
                           env=SHELL_ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           start_new_session=True)
    try:
        assert run.stdout is not None
        assert re.fullmatch(r"fnemu listening on http://127\.0\.0\.1:\d+\n", run.stdout.readline())
    finally:
        os.killpg(run.pid, signal.SIGTERM)
        run.communicate(timeout=30)
