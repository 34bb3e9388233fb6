"""§11 `fnemu s3 put/ls` and `fnemu start --s3-port`, §12 the plugin's `s3_client()`: against real servers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from emulator.cli import cli
from tests.triggers.test_s3_moto_hook import free_port
from tests.triggers.test_s3_upload import RECORDER, record, settled, watch

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def run_cli(fnemu: Any) -> Any:
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(cli, list(args), env={"FNEMU_URL": fnemu.url, "FNEMU_TOKEN": fnemu.token},
                             catch_exceptions=False)

    return run


def test_s3_put_invokes_the_trigger_and_ls_lists(fnemu: Any, run_cli: Any, tmp_path: Path) -> None:
    watch(fnemu)
    photo = tmp_path / "cat photo.png"
    photo.write_bytes(b"not really a png")
    put = run_cli("s3", "put", "uploads", "in/cat photo.png", str(photo))
    assert put.exit_code == 0, put.output
    assert "uploaded s3://uploads/in/cat photo.png (16 bytes, image/png)" in put.output
    (entry,) = settled(fnemu, "rec", 1)
    obj = record(entry)["s3"]["object"]
    assert (obj["key"], obj["size"]) == ("in/cat+photo.png", 16)
    buckets = run_cli("s3", "ls")
    assert buckets.exit_code == 0 and "uploads" in buckets.output
    objects = run_cli("s3", "ls", "uploads", "--json")
    assert [(o["key"], o["size"]) for o in json.loads(objects.output)] == [("in/cat photo.png", 16)]
    assert "no objects in uploads" in run_cli("s3", "ls", "uploads", "--prefix", "out/").output


def test_s3_errors_are_one_line(fnemu: Any, run_cli: Any, tmp_path: Path) -> None:
    file = tmp_path / "f.txt"
    file.write_text("x")
    missing = run_cli("s3", "put", "no-such-bucket", "k", str(file))
    assert missing.exit_code == 1
    (line,) = missing.output.strip().splitlines()
    assert line.startswith("Error: S3: ") and "NoSuchBucket" in line
    listing = run_cli("s3", "ls", "no-such-bucket")
    assert listing.exit_code == 1
    assert listing.output.strip() == "Error: S3: NoSuchBucket: The specified bucket does not exist"


def test_s3_commands_say_when_no_server_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["s3", "ls", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "cannot reach fnemu" in result.output


def _start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """`fnemu start` with its first stdout lines up to the function table (or the no-functions line)."""
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--no-watch", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    lines = [proc.stdout.readline()]
    while not re.match(r"(function\s|no functions yet)", lines[-1]):
        lines.append(proc.stdout.readline())
    return proc, lines


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    assert proc.stdout is not None
    proc.stdout.read()
    proc.stdout.close()
    return proc.wait(timeout=20)


def test_start_prints_the_s3_endpoint_when_a_function_needs_it(tmp_path: Path) -> None:
    (tmp_path / "rec.py").write_text(RECORDER)
    (tmp_path / "rec.json").write_text(json.dumps({"triggers": [{"type": "s3_upload",
                                                                 "config": {"bucket": "uploads"}}]}))
    port = free_port()
    proc, lines = _start("--functions-dir", str(tmp_path), "--s3-port", str(port))
    try:
        assert lines[0].startswith("fnemu listening on http://127.0.0.1:")
        assert lines[1].startswith(f"fake S3 on http://127.0.0.1:{port} ")
    finally:
        assert _stop(proc) == 0


def test_start_without_s3_functions_prints_no_s3_line(tmp_path: Path) -> None:
    proc, lines = _start("--functions-dir", str(tmp_path))
    try:
        assert not any("fake S3" in line for line in lines)
    finally:
        assert _stop(proc) == 0


def test_plugin_s3_client_reaches_the_fake_s3_and_state_is_reset(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=f'''
        import json
        import time

        def test_upload_invokes(fnemu):
            fnemu.deploy("rec", {RECORDER!r},
                         triggers=[{{"type": "s3_upload", "config": {{"bucket": "inbox"}}}}])
            s3 = fnemu.s3_client()
            s3.put_object(Bucket="inbox", Key="a.txt", Body=b"hi")
            s3.create_bucket(Bucket="leftover")
            deadline = time.monotonic() + 20
            while not fnemu.logs("rec") and time.monotonic() < deadline:
                time.sleep(0.01)
            (entry,) = fnemu.logs("rec")
            event = json.loads(entry["consoleLogs"][0]["message"])
            assert entry["trigger"] == "s3_upload"
            assert event["Records"][0]["s3"]["object"]["key"] == "a.txt"

        def test_s3_is_empty_for_the_next_test(fnemu):
            assert fnemu.s3_client().list_buckets()["Buckets"] == []
    ''')
    pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180).assert_outcomes(passed=2)
