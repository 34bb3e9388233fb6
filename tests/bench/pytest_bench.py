"""`make bench`, pytest rows: what an installed fnemu adds to a pytest run, and what the `fnemu`
fixture costs a test.

  pytest --co     one trivial test collected, in a fresh process, with no plugin loaded from the
                  environment (PYTEST_DISABLE_PLUGIN_AUTOLOAD): as it is, and with fnemu's plugin
                  (`-p emulator.pytest_plugin`). Others installed beside it (the test extras'
                  hypothesis alone takes 0.8 s) would bury the difference in their noise.
  first use       the first test that asks for `fnemu` (its emulator starts), over a plain test:
                  the time pytest spends on that test, setup to report
  per test        each later test with `fnemu` (its reset), over a plain test: the median
  session         a whole run of 100 tests with `fnemu` over one of 100 plain tests (first use,
                  100 resets, the emulator's stop at the end)

The in-run figures are taken by a conftest that times each test's `pytest_runtest_protocol`.
Runs alternate between the variants; the median of RUNS each is printed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "9"))
TARGETS_MS = {"plugin load": 30.0, "first use": 150.0, "per test": 2.0}
TESTS = 100

_CONFTEST = '''
import json, os, time
import pytest

TIMES = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    started = time.perf_counter()
    try:
        return (yield)
    finally:
        TIMES.append((time.perf_counter() - started) * 1000)


def pytest_sessionfinish(session):
    with open(os.environ["FNEMU_BENCH_TIMES"], "w") as out:
        json.dump(TIMES, out)
'''


def run_ms(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def _verdict(name: str, value: float) -> str:
    target = TARGETS_MS[name]
    return f"target <= {target:g} ms {'ok' if value <= target else 'FAIL'}"


def main() -> None:
    """Prints the figures with their target; a missed target is printed, not an error."""
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    collect = {
        "not loaded": [*pytest, "--co", "test_one.py"],
        "installed": [*pytest, "--co", "-p", "emulator.pytest_plugin", "test_one.py"],
    }
    collect_ms: dict[str, list[float]] = {name: [] for name in collect}
    in_run: dict[str, list[list[float]]] = {"plain": [], "fnemu": []}
    whole: dict[str, list[float]] = {"plain": [], "fnemu": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FNEMU_", "PYTEST_"))}
    with tempfile.TemporaryDirectory() as tmp:
        bare, folder = Path(tmp) / "collect", Path(tmp) / "run"
        bare.mkdir()
        folder.mkdir()
        (bare / "test_one.py").write_text("def test_one():\n    pass\n")
        (folder / "conftest.py").write_text(_CONFTEST)
        (folder / "test_plain.py").write_text(
            f"import pytest\n\n\n@pytest.mark.parametrize('n', range({TESTS}))\n"
            "def test_plain(n):\n    assert n >= 0\n")
        (folder / "test_fnemu.py").write_text(
            f"import pytest\n\n\n@pytest.mark.parametrize('n', range({TESTS}))\n"
            "def test_with_fnemu(fnemu, n):\n    assert fnemu.url\n")
        times = folder / "times.json"
        for _ in range(RUNS):
            for name, args in collect.items():
                collect_ms[name].append(run_ms(args, bare, {**env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}))
            for kind in in_run:
                whole[kind].append(run_ms([*pytest, f"test_{kind}.py"], folder,
                                          {**env, "FNEMU_BENCH_TIMES": str(times)}))
                in_run[kind].append(json.loads(times.read_text()))
    median = {name: statistics.median(values) for name, values in collect_ms.items()}
    added = median["installed"] - median["not loaded"]
    first = statistics.median(f[0] - p[0] for f, p in zip(in_run["fnemu"], in_run["plain"]))
    per_test = statistics.median(statistics.median(f[1:]) - statistics.median(p[1:])
                                 for f, p in zip(in_run["fnemu"], in_run["plain"]))
    session = statistics.median(whole["fnemu"]) - statistics.median(whole["plain"])
    print(f"\npytest and the fnemu fixture (median of {RUNS} runs)")
    print(f"  {'pytest --co, no plugin':<44} {median['not loaded']:8.0f} ms")
    print(f"  {'pytest --co, fnemu plugin loaded':<44} {median['installed']:8.0f} ms   "
          f"+{added:.0f} ms, {_verdict('plugin load', added)}")
    print(f"  {'first test with fnemu (starts the emulator)':<44} {first:8.0f} ms   {_verdict('first use', first)}")
    print(f"  {'each later test with fnemu (its reset)':<44} {per_test:8.2f} ms   {_verdict('per test', per_test)}")
    print(f"  {f'{TESTS} tests with fnemu, whole run, over plain':<44} {session:8.0f} ms")


if __name__ == "__main__":
    main()
