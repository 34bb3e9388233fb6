"""`make bench`, pytest rows: what an installed fnemu adds to every pytest start-up.

  pytest --co   one trivial test collected, in a fresh process: with the fnemu plugin blocked
                (`-p no:fnemu`, as if fnemu were not installed) and loaded (as installed)
  first use     the emulator's imports (server, client) that the fixture's first use pays for,
                over a bare interpreter

Runs alternate between the variants; the median of RUNS each is printed.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15
TARGET_MS = 30.0
"""What loading the plugin may add to a pytest start-up."""


def run_ms(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    """Prints the figures with their target; a missed target is printed, not an error."""
    pytest = [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider"]
    variants = {
        "fnemu not loaded (-p no:fnemu)": [*pytest, "-p", "no:fnemu"],
        "fnemu installed": pytest,
        "bare interpreter": [sys.executable, "-c", "pass"],
        "fixture's imports on first use": [sys.executable, "-c", "import emulator.server, emulator.client"],
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_one.py").write_text("def test_one():\n    pass\n")
        for _ in range(RUNS):
            for name, args in variants.items():
                times[name].append(run_ms(args, folder))
    median = {name: statistics.median(values) for name, values in times.items()}
    added = median["fnemu installed"] - median["fnemu not loaded (-p no:fnemu)"]
    first_use = median["fixture's imports on first use"] - median["bare interpreter"]
    print(f"\npytest start-up (median of {RUNS} runs)")
    print(f"  {'pytest --co, fnemu not loaded':<40} {median['fnemu not loaded (-p no:fnemu)']:8.0f} ms")
    print(f"  {'pytest --co, fnemu installed':<40} {median['fnemu installed']:8.0f} ms   "
          f"+{added:.0f} ms, target <= {TARGET_MS:.0f} ms {'ok' if added <= TARGET_MS else 'FAIL'}")
    print(f"  {'fixture first use: server + client imports':<40} {first_use:8.0f} ms")


if __name__ == "__main__":
    main()
