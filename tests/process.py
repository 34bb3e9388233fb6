"""`fnemu start` as its own process, with its own TMPDIR and stderr kept, for tests that look at
what the server writes to disk or prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ServerProcess:
    proc: subprocess.Popen[str]
    url: str
    stderr: Path

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
        assert self.proc.stdout is not None
        self.proc.stdout.close()

    def stderr_text(self) -> str:
        return self.stderr.read_text(errors="replace")


def start_server(folder: Path, *args: str, watch: bool = False, prefix: tuple[str, ...] = ()) -> ServerProcess:
    """Start in `folder` (an empty cwd: no functions folder) with TMPDIR `folder/tmp`; `watch`:
    reload a `--functions-dir` on save; `prefix`: a command that runs it (`unshare --user`)."""
    tmp = folder / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    stderr = folder / "stderr.txt"
    env = {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(ROOT)}
    env.pop("FNEMU_TOKEN", None)
    with stderr.open("w") as err:
        argv = [*prefix, sys.executable, "-m", "emulator", "start", "--port", "0", *([] if watch else ["--no-watch"]), *args]
        proc = subprocess.Popen(argv,
                                stdout=subprocess.PIPE, stderr=err, text=True, cwd=folder, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    match = re.search(r"http://(?:\[[0-9a-f:]+\]|[\w.]+):\d+", first)
    if not match:
        proc.kill()
        raise AssertionError(f"first line has no URL: {first!r}; stderr: {stderr.read_text()}")
    return ServerProcess(proc, match.group(0), stderr)
