"""`fnemu demo` comes up with no network but loopback (`unshare -n`, where it works) and every
sample answers through its trigger."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.ui.conftest import ARTIFACTS

ROOT = Path(__file__).resolve().parent.parent.parent
SAMPLE_NAMES = {"agent_action", "chat", "deliveries", "echo_v2", "greet", "hello", "hello-cgi", "hello-world",
                "inventory", "lookup_account", "orders", "refund", "stock", "thumbnails", "tick"}


def _offline() -> list[str]:
    """The prefix that runs a command in a new network namespace with only loopback up, or []."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None:
        return []
    probe = subprocess.run([unshare, "-n", ip, "link", "set", "lo", "up"], capture_output=True)
    return [unshare, "-n", "sh", "-c", f'{ip} link set lo up && exec "$@"', "sh"] if probe.returncode == 0 else []


def test_demo_comes_up_offline_and_every_sample_answers() -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    prefix = _offline()
    done = subprocess.run([*prefix, sys.executable, "-m", "tests.ui.demo_check", str(ARTIFACTS)], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout + done.stderr
    answered = done.stdout.strip().splitlines()[-1].removeprefix("answered: ").split()
    assert set(answered) == SAMPLE_NAMES
