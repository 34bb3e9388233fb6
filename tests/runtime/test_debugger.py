"""§13 `fnemu start --debug`: a function's worker under debugpy or the Node inspector, attached to by
real debugger clients; its timeout paused while they hold it, other functions unaffected."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from emulator.cli import cli
from emulator.client import ClientError
from emulator.config import DEFAULT_TOKEN, free_port
from emulator.keys import REGISTRY, RUNTIME

from tests.helpers import wait_until
from .debug_clients import CdpClient, DapClient
from .procs import descendants, gone, listening_ports

PY_CODE = """\
def handler(event, context):
    total = 0
    for n in range(3):
        total += n  # line 4: the breakpoint
    print("total", total)
    return {"statusCode": 200, "body": str(total)}
"""
BREAKPOINT_LINE = 4
NODE_CODE = """\
export default async function handler(req) {
  const started = Date.now();
  debugger;
  return new Response(`resumed after ${Date.now() - started} ms`);
}
"""
SLOW_CODE = "import time\ndef handler(event, context):\n    time.sleep(0.3)\n    return {'statusCode': 200}\n"
OTHER_CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'other'}\n"
PAUSED = "the timeout is paused"


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as executor:
        yield executor


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A functions folder for `--functions-dir`."""
    path = tmp_path / "functions"
    path.mkdir()
    return path


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """What `fnemu start` prints about debug workers (the emulator runs in this process)."""
    caplog.set_level(logging.INFO, logger="fnemu.debug")
    return caplog


def _pending(call: Future[Any]) -> bool:
    return not call.done()


def _workers(emu: Any, name: str) -> int:
    app = emu.server.app
    version = app[REGISTRY].get(emu.app_id, name).current
    count: int = app[RUNTIME].workers(version)
    return count


def test_python_call_stops_at_a_breakpoint_and_resumes_past_its_timeout(
        folder: Path, make_emulator: Any, pool: ThreadPoolExecutor, debug_log: pytest.LogCaptureFixture) -> None:
    entry = folder / "stepper.py"
    entry.write_text(PY_CODE)
    (folder / "stepper.json").write_text('{"timeoutMs": 300, "debug": true}')
    (folder / "other.py").write_text(OTHER_CODE)
    port = free_port()
    emu = make_emulator(functions_dir=folder, debug_port=port)
    wait_until(lambda: f"debugpy listens on 127.0.0.1:{port}" in debug_log.text, message="the port printed")
    assert f"code in {folder};" in debug_log.text  # the function's own files: no path mapping needed

    dap = DapClient(port)
    try:
        dap.attach({str(entry): [BREAKPOINT_LINE]})
        call = pool.submit(emu.call, "stepper")
        stopped = dap.event("stopped")
        assert stopped["body"]["reason"] == "breakpoint"
        frames = dap.response(dap.send("stackTrace", threadId=stopped["body"]["threadId"]))["body"]["stackFrames"]
        assert (frames[0]["source"]["path"], frames[0]["line"]) == (str(entry), BREAKPOINT_LINE)

        wait_until(lambda: PAUSED in debug_log.text, message="the deadline to pass while held")
        assert _pending(call)
        others = [pool.submit(emu.call, "other") for _ in range(3)]  # meanwhile, concurrent and served
        assert [f.result(timeout=20).text for f in others] == ["other"] * 3
        assert _pending(call)

        dap.response(dap.send("setBreakpoints", source={"path": str(entry)}, breakpoints=[]))
        dap.response(dap.send("continue", threadId=stopped["body"]["threadId"]))
        response = call.result(timeout=20)
    finally:
        dap.close()
    assert (response.status_code, response.text) == (200, "3")
    (log,) = emu.logs("stepper")
    assert log["debug"] is True and log["status_code"] == 200 and log["error"] is None
    assert log["duration_ms"] > 300
    assert [line["message"] for line in log["consoleLogs"]] == [
        "[fnemu] timeoutMs (300 ms) reached while a debugger holds the worker: the timeout is paused until it detaches",
        "total 3",
    ]
    assert "debug" not in emu.logs("other")[0]
    assert emu.client.get("stepper")["debug"] is True


def test_node_inspector_pauses_and_resumes_while_other_functions_run(
        make_emulator: Any, pool: ThreadPoolExecutor, debug_log: pytest.LogCaptureFixture) -> None:
    port = free_port()
    emu = make_emulator(debug_port=port)
    emu.deploy("inspected", NODE_CODE, runtime="web", timeoutMs=300, debug=True)
    emu.deploy("other", OTHER_CODE)
    assert f"the Node inspector listens on 127.0.0.1:{port}" in debug_log.text

    cdp = CdpClient(port)
    try:
        assert cdp.url.startswith(f"ws://127.0.0.1:{port}/")
        cdp.call("Debugger.enable")
        call = pool.submit(emu.call, "inspected")
        paused = cdp.event("Debugger.paused")
        assert paused["params"]["reason"] == "other"  # the `debugger;` statement
        wait_until(lambda: PAUSED in debug_log.text, message="the deadline to pass while paused")
        others = [pool.submit(emu.call, "other") for _ in range(3)]
        assert [f.result(timeout=20).text for f in others] == ["other"] * 3
        assert _pending(call)
        cdp.call("Debugger.resume")
        response = call.result(timeout=20)
    finally:
        cdp.close()
    assert response.status_code == 200 and response.text.startswith("resumed after ")
    assert int(response.text.split()[2]) > 300
    (log,) = emu.logs("inspected")
    assert log["debug"] is True and log["status_code"] == 200
    # the inspector's own stderr lines ("Debugger attached.") go to the terminal, not the console
    assert [line["message"] for line in log["consoleLogs"]] == [
        "[fnemu] timeoutMs (300 ms) reached while a debugger holds the worker: the timeout is paused until it detaches"]
    assert "Debugger attached." in debug_log.text
    assert emu.client.get("inspected")["debug"] is True


def test_a_saved_function_keeps_its_debug_port(
        folder: Path, make_emulator: Any, pool: ThreadPoolExecutor, debug_log: pytest.LogCaptureFixture) -> None:
    entry = folder / "saved.py"
    entry.write_text(OTHER_CODE)
    port = free_port()
    emu = make_emulator(functions_dir=folder, debug=frozenset({"saved"}), debug_port=port)
    assert emu.call("saved").text == "other"  # its worker is up: listening on the port
    assert f"saved@1: debugpy listens on 127.0.0.1:{port}" in debug_log.text
    entry.write_text(OTHER_CODE.replace("other", "saved"))
    # a plain worker checks the save loads, then the debug worker (debugpy: ~2 s alone) starts on the
    # freed port: allow for a loaded machine
    wait_until(lambda: emu.call("saved").text == "saved", timeout=60, message="the saved version to serve")
    assert f"saved@2: debugpy listens on 127.0.0.1:{port}" in debug_log.text  # the same port, not the next
    dap = DapClient(port)
    try:
        dap.attach({str(entry): [2]})
        call = pool.submit(emu.call, "saved")
        stopped = dap.event("stopped")  # the new version's code, on the port the IDE knows
        dap.response(dap.send("continue", threadId=stopped["body"]["threadId"]))
        assert call.result(timeout=20).text == "saved"
    finally:
        dap.close()


def test_a_debugged_function_has_one_worker_and_others_scale_out(
        make_emulator: Any, pool: ThreadPoolExecutor) -> None:
    emu = make_emulator(debug=frozenset({"debugged"}), debug_port=free_port())
    for name in ("debugged", "plain"):
        emu.deploy(name, SLOW_CODE)
        calls = [pool.submit(emu.call, name) for _ in range(3)]  # each takes 0.3 s: they overlap
        assert [c.result(timeout=30).status_code for c in calls] == [200] * 3
    assert _workers(emu, "debugged") == 1
    assert _workers(emu, "plain") > 1


def test_debug_wait_holds_the_first_call_until_a_debugger_attaches(
        make_emulator: Any, pool: ThreadPoolExecutor, debug_log: pytest.LogCaptureFixture) -> None:
    port = free_port()
    emu = make_emulator(debug=frozenset({"waiter"}), debug_wait=True, debug_port=port)
    emu.deploy("waiter", OTHER_CODE, timeoutMs=200)
    call = pool.submit(emu.call, "waiter")
    wait_until(lambda: PAUSED in debug_log.text, message="the first call's deadline to pass while it waits")
    assert _pending(call)
    dap = DapClient(port)
    try:
        dap.attach({})
        response = call.result(timeout=20)
    finally:
        dap.close()
    assert (response.status_code, response.text) == (200, "other")


def test_without_a_debugger_the_timeout_still_fires(make_emulator: Any) -> None:
    emu = make_emulator(debug=frozenset({"slow"}), debug_port=free_port())
    emu.deploy("slow", "import time\ndef handler(event, context):\n    time.sleep(30)\n", timeoutMs=200)
    response = emu.call("slow")
    assert response.status_code == 504
    (log,) = emu.logs("slow")
    assert log["debug"] is True and "timed out after 200 ms" in log["error"]


def test_a_python_without_debugpy_is_one_clear_deploy_error(tmp_path: Path, make_emulator: Any) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60)
    python = str(venv / "bin" / "python")
    emu = make_emulator(python=python)
    with pytest.raises(ClientError) as caught:
        emu.deploy("fn", OTHER_CODE, debug=True)
    assert caught.value.status == 400
    assert str(caught.value) == (f"deploy failed (400 deploy_failed): debug: debugging Python functions needs "
                                 f"debugpy in {python}: {python} -m pip install debugpy")


def test_debug_must_be_a_boolean(fnemu: Any) -> None:
    with pytest.raises(ClientError) as caught:
        fnemu.deploy("fn", OTHER_CODE, debug="yes")
    assert (caught.value.status, str(caught.value)) == (400, "deploy failed (400 bad_request): debug: must be true or false")


def test_debug_option_refuses_a_name_that_is_not_a_function_name() -> None:
    result = CliRunner().invoke(cli, ["start", "--debug", "good,bad/name"])
    assert result.exit_code == 2
    assert "'bad/name' is not a function name" in result.output


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_an_attached_debugger_keeps_no_process_alive_after_the_emulator(
        fnemu_process: tuple[subprocess.Popen[str], httpx.Client], sig: signal.Signals) -> None:
    proc, client = fnemu_process
    client.post("/v1/local/functions", json={"name": "fn", "code": OTHER_CODE, "debug": True}).raise_for_status()
    (worker,) = descendants(proc.pid)
    (port,) = listening_ports(worker)
    dap = DapClient(port)
    try:
        dap.attach({})
        assert client.get("/v1/local/fn/fn").text == "other"
        proc.send_signal(sig)
        proc.wait(timeout=30)
        wait_until(lambda: gone(worker), message="the debug worker to stop")
        dap.wait_closed()  # the IDE's connection ends with the worker: no adapter process outlives it
    finally:
        dap.close()


def test_start_options_reach_the_debug_workers(tmp_path: Path) -> None:
    port = free_port()
    printed = tmp_path / "stderr.txt"
    with printed.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--debug", "a,fn",
                                 "--debug", "b", "--debug-wait", "--debug-port", str(port)],
                                stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().split()[-1]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}, timeout=30) as client:
            client.post("/v1/local/functions", json={"name": "fn", "code": OTHER_CODE}).raise_for_status()
            assert client.get("/v1/local/functions/fn").json()["debug"] is False  # its config does not say so
        wait_until(lambda: f"debug: local/fn@1: debugpy listens on 127.0.0.1:{port}; " in printed.read_text(),
                   message="the port printed")
        assert "; its first call waits for the debugger" in printed.read_text()
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
