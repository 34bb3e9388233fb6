"""§4 under load nothing is lost: 2,000 requests at concurrency 32 over ten functions of both
languages, while function files are saved and crons fire, against a real `fnemu start`."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.conftest import Figures
from tests.helpers import wait_until
from tests.process import start_server
from tests.runtime.procs import descendants, gone

from .load_mix import FUNCTIONS, logged, run_mix, write_folder

REQUESTS = 2000
CONCURRENCY = 32
CAP = 4
"""Workers per function (the default --max-workers-per-function)."""


def test_every_request_is_answered_and_logged_once(tmp_path: Path, figures: Figures) -> None:
    folder = tmp_path / "functions"
    write_folder(folder)
    server = start_server(tmp_path, "--functions-dir", str(folder), "--clock", "frozen", watch=True)
    try:
        mix = asyncio.run(run_mix(server.url, folder, server.proc.pid, requests=REQUESTS, concurrency=CONCURRENCY))
        logs = asyncio.run(logged(server.url))
        ids = [i for name, (entries, _) in logs.items() for i in entries]
        figures(**mix.summary(), entries=len(ids), entries_lost=REQUESTS + mix.cron_fires - len(set(ids)))
        assert mix.statuses == {200: REQUESTS}
        assert mix.cron_fires == 5 * mix.saves
        assert len(ids) == len(set(ids)), "an invocation was logged twice"
        assert sum(len(logs[name][0]) for name, _, _ in FUNCTIONS) == REQUESTS
        assert len(logs["tick"][0]) == mix.cron_fires
        assert {name: total for name, (_, total) in logs.items()} == {
            name: len(entries) for name, (entries, _) in logs.items()}, "metrics differ from the log"
        most = CAP * (len(FUNCTIONS) + 1)
        workers = wait_until(lambda: (found := descendants(server.proc.pid)) and len(found) <= most and found,
                             message=f"at most {most} workers once the old versions have drained")
        assert mix.most_processes <= CAP * (len(FUNCTIONS) + 1) + len(FUNCTIONS), "workers pile up"
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
        wait_until(lambda: all(gone(pid) for pid in workers), timeout=5, message="every worker to end")
    finally:
        server.stop()
