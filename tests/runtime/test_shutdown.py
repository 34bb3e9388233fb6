"""§5 no worker, no spare, and nothing a function started, survives `fnemu start` stopping."""

from __future__ import annotations

import signal
import subprocess

import httpx
import pytest

from tests.helpers import fixture_code, wait_until

from .procs import descendants, gone, spares


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_no_worker_or_its_children_survive_the_emulator(
        fnemu_process: tuple[subprocess.Popen[str], httpx.Client], sig: signal.Signals) -> None:
    proc, client = fnemu_process
    for name, fixture in (("py", "python/faults.py"), ("node", "node/faults.mjs"), ("idle", "python/faults.py")):
        client.post("/v1/local/functions", json={"name": name, "code": fixture_code(fixture)}).raise_for_status()
    left = [client.get(f"/v1/local/fn/{name}?do=leave").json() for name in ("py", "node")]
    wait_until(lambda: len(spares(descendants(proc.pid))) == 2, message="a spare per language")
    started = descendants(proc.pid)
    assert {pid for answer in left for pid in (answer["pid"], answer["child"])} <= started
    assert len(started) >= 7
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 0
    wait_until(lambda: all(gone(pid) for pid in started), message="every worker and child to stop")
