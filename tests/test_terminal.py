"""§11 what `fnemu start` prints per invocation and per folder event: pretty, coloured, JSON."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from emulator.agents.approvals import Approval
from emulator.logstore import LogEntry
from emulator.terminal import Terminal

ENTRY = LogEntry("id-1", "local", "hello", "http", 1_795_379_221.5, "GET", "/x", 503, 12.34, 15.0,
                 "Boom: it broke\ntraceback", [("log", "hi there", 1_795_379_221.5)])


async def printed(terminal: Terminal, out: io.StringIO) -> str:
    terminal.invocation(ENTRY)
    terminal.report("error", "hello", "functions/hello.py: SyntaxError (hello.py, line 2)")
    await asyncio.sleep(0)  # lines go out once per pass of the loop
    return out.getvalue()


async def test_pretty_lines_carry_status_duration_memory_error_and_console():
    out = io.StringIO()
    text = await printed(Terminal(out, json_lines=False, colour=False, hold=False), out)
    assert "\x1b[" not in text
    first, console, report = text.splitlines()
    assert re.search(r"\d\d:\d\d:\d\d\.500\s+hello\s+http\s+GET /x\s+503\s+12\.3 ms\s+15 MB\s+error: Boom: it broke",
                     first)
    assert console == "    [log] hi there"
    assert report.split() == ["error", "hello", "functions/hello.py:", "SyntaxError", "(hello.py,", "line", "2)"]


async def test_invocation_lines_show_the_trigger_s_own_summary_in_aligned_columns():
    out = io.StringIO()
    terminal = Terminal(out, json_lines=False, colour=False, hold=False)
    for trigger, summary in [("webhook", "webhook stripe"), ("cron", "cron 09:00"), ("http", None),
                             ("s3_upload", "s3 uploads/in/a.png"), ("websocket", "websocket $connect")]:
        terminal.invocation(LogEntry("id-2", "local", "hook", trigger, 1_795_379_221.5, "POST", "/", 200, 1.0,
                                     15.0, None, summary=summary))
    await asyncio.sleep(0)
    lines = out.getvalue().splitlines()
    assert [line[28:54].strip() for line in lines] == ["webhook stripe", "cron 09:00", "http POST /",
                                                       "s3 uploads/in/a.png", "websocket $connect"]
    assert len({line.index("200") for line in lines}) == 1 and len({len(line) for line in lines}) == 1
    assert all(len(line) <= 80 for line in lines)


async def test_colour_marks_failures_red_on_a_terminal():
    out = io.StringIO()
    text = await printed(Terminal(out, json_lines=False, colour=True, hold=False), out)
    assert "\x1b[31m503\x1b[0m" in text and "\x1b[31m   error\x1b[0m" in text


async def test_json_lines_are_one_object_per_line():
    out = io.StringIO()
    lines = (await printed(Terminal(out, json_lines=True, colour=False, hold=False), out)).splitlines()
    entry, event = (json.loads(line) for line in lines)
    assert entry["status_code"] == 503 and entry["consoleLogs"][0]["message"] == "hi there"
    assert event == {"event": "error", "function": "hello",
                     "message": "functions/hello.py: SyntaxError (hello.py, line 2)"}


def _start_json(folder: Path) -> tuple[subprocess.Popen[str], str]:
    """`fnemu start --log-format json` on `folder`, and its URL from the ready line."""
    proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--functions-dir",
                             str(folder), "--log-format", "json"], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)})
    assert proc.stdout is not None
    return proc, re.search(r"http://\S+", proc.stdout.readline()).group(0)  # type: ignore[union-attr]


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.stdout.close()  # type: ignore[union-attr]
    assert proc.wait(timeout=20) == 0


def test_start_with_json_log_format_prints_json_invocations(tmp_path):
    (tmp_path / "hello.py").write_text("def handler(e, c):\n    return {'statusCode': 200, 'body': 'hi'}\n")
    proc, url = _start_json(tmp_path)
    assert httpx.get(f"{url}/v1/local/fn/hello", headers={"Authorization": "Bearer fnemu-dev-token"}).text == "hi"
    for line in proc.stdout:  # type: ignore[union-attr]
        if line.startswith("{") and '"trigger"' in line:
            assert json.loads(line)["function"] == "hello"
            break
    _stop(proc)


HELD = Approval("apr_1", "local", "refund", {"amount": 5}, "end_user", "Bearer t", {"sub": "alice"}, 1_795_379_221.5)


async def test_a_held_tool_call_is_one_line_with_the_command_that_decides_it():
    out = io.StringIO()
    Terminal(out, json_lines=False, colour=False, hold=False).approval(HELD)
    await asyncio.sleep(0)
    (line,) = out.getvalue().splitlines()
    assert line.split() == ["approval", "apr_1", "local/refund", "end_user", "input", '{"amount":5}',
                            "(fnemu", "approvals", "approve|reject", "apr_1)"]
    out = io.StringIO()
    Terminal(out, json_lines=True, colour=False, hold=False).approval(HELD)
    await asyncio.sleep(0)
    event = json.loads(out.getvalue())
    assert event["event"] == "approval" and event["id"] == "apr_1" and event["sub"] == "alice"


def test_start_prints_a_line_for_each_held_tool_call(tmp_path):
    (tmp_path / "refund.py").write_text("def handler(e, c):\n    return {'statusCode': 200, 'body': 'ok'}\n")
    (tmp_path / "refund.json").write_text('{"agent_tool": true, "agent_tool_mode": "read_write"}')
    proc, url = _start_json(tmp_path)
    held = httpx.post(f"{url}/v1/local/agent-tools/refund/call", json={"input": {"amount": 5}},
                      headers={"Authorization": "Bearer fnemu-dev-token"}).json()
    for line in proc.stdout:  # type: ignore[union-attr]
        if line.startswith("{") and '"approval"' in line:
            event = json.loads(line)
            assert (event["id"], event["function"], event["input"]) == (held["approval_id"], "refund", {"amount": 5})
            break
    _stop(proc)
