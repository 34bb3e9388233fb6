"""Shared by the tests: polling with a deadline (never a fixed sleep) and the fixtures folder."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def wait_until(check: Callable[[], T], timeout: float = 10.0, interval: float = 0.01,
               message: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


SEED_000_CODE = (FIXTURES.parent / "sample_functions" / "agent_action.py").read_text()
"""The platform's default serverless action code (seed 000), verbatim: the sample serves it too."""


def fixture_code(relative: str) -> str:
    return (FIXTURES / relative).read_text()


def fresh_clone(dest: Path) -> Path:
    """The checkout's tracked files copied to `dest`: what a fresh clone holds."""
    root = FIXTURES.parent
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, dest / name)
    return dest
