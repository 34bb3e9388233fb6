"""§11 what `fnemu start` prints per invocation and per folder event: pretty, coloured, JSON."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from emulator.agents.approvals import Approval
from emulator.logstore import LogEntry
from emulator.terminal import Terminal, table
from tests.helpers import wait_until

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_functions"

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


class Started:
    """`fnemu start` on a folder, its stdout lines collected as they come (a thread reads them),
    its stderr kept for the end."""

    def __init__(self, folder: Path, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "emulator", "start", "--port", "0", "--functions-dir",
                                      str(folder), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = re.search(r"http://\S+", self.wait_for("fnemu listening on")).group(0)  # type: ignore[union-attr]

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        found: str = wait_until(lambda: next((line for line in self.lines if text in line), None), timeout=timeout,
                                message=repr(text))
        return found

    def stop(self) -> str:
        """Stops the server; its stderr."""
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=20)
        self._reader.join(timeout=5)
        assert self.proc.returncode == 0, err
        return err


def test_the_start_up_table_fits_80_columns_and_its_curl_line_works_as_printed():
    started = Started(SAMPLES)
    try:
        curl_line = wait_until(lambda: next((line for line in started.lines if line.startswith("curl ")), None),
                               message="the curl line")
        export = started.wait_for("export ")
        banner = started.lines[:started.lines.index(export) + 1]
        table = banner[banner.index(next(line for line in banner if line.startswith("function "))):]
        assert all(len(line) <= 80 for line in table), "\n".join(line for line in table if len(line) > 80)
        assert curl_line in table  # the shortest URL a plain GET reaches: it fits too
        assert re.search(r"^hello\s+/v1/local/fn/hello\s+http \(public\)$", "\n".join(table), re.M)
        assert re.search(r"^greet\s+/v1/local/fn/greet\s+http \(token\)$", "\n".join(table), re.M)
        wrapped = table.index(next(line for line in table if line.startswith("hello-world ")))
        assert table[wrapped].endswith("http (token),") and table[wrapped + 1].lstrip().startswith("cron (next ")
        assert table[wrapped + 1].index("cron") == table[wrapped].index("http")
        assert export == f"export FNEMU_URL={started.url}"  # --port 0: not the default port
        ran = subprocess.run(shlex.split(curl_line) + ["--silent", "--write-out", "\n%{http_code}"],
                             capture_output=True, text=True, timeout=30)
        assert ran.stdout.splitlines()[-1] == "200", ran
        assert "--oauth2-bearer fnemu-dev-token" in curl_line
    finally:
        started.stop()


def test_a_word_longer_than_the_trigger_column_moves_left_as_far_as_it_must():
    url = "(/v1/local/fn/hook?fnemu-signature=" + "a" * 32
    lines = table([("hook", "/v1/local/fn/hook", ["http (token)", f"webhook {url} secret whsec_0123456789)"]),
                   ("b", "/v1/local/fn/b", [])])
    assert all(len(line) <= 80 for line in lines), lines
    assert f"{' ' * (80 - len(url))}{url}" in lines and lines[-1].split() == ["b", "/v1/local/fn/b", "-"]


def test_long_names_put_the_triggers_below_their_row():
    name = "a-function-name-of-forty-characters-long"
    lines = table([(name, f"/v1/local/fn/{name}", ["http (token)", "cron (next 2026-12-03 09:00 UTC)"])])
    assert lines[1:] == [f"{name}  /v1/local/fn/{name}", "    http (token), cron (next 2026-12-03 09:00 UTC)"]


HELLO = "def handler(event, context):\n    print('hi from hello')\n    return {'statusCode': 200, 'body': 'hi'}\n"


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "hello.py").write_text(HELLO)
    (tmp_path / "tick.py").write_text("def handler(event, context):\n    return {}\n")
    (tmp_path / "tick.json").write_text('{"triggers": [{"type": "cron", "config": {"schedule": "0 9 * * *"}}]}')
    (tmp_path / "getonly.py").write_text(HELLO)
    (tmp_path / "getonly.json").write_text('{"triggers": [{"type": "http", "config": {"method": "GET"}}]}')
    return tmp_path


def test_refused_calls_and_api_deploys_and_deletes_print_one_line_each(tmp_path):
    started = Started(_folder(tmp_path), "--max-body-mb", "0.001")
    auth = {"Authorization": "Bearer fnemu-dev-token"}
    try:
        with httpx.Client(base_url=started.url, headers=auth, timeout=30) as client:
            assert httpx.get(f"{started.url}/v1/local/fn/getonly").status_code == 401
            assert client.get("/v1/local/fn/nope").status_code == 404
            assert client.post("/v1/local/fn/getonly/x").status_code == 405
            assert client.post("/v1/local/fn/hello", content=b"x" * 2048).status_code == 413
            assert client.post("/v1/local/functions", json={"name": "made", "code": HELLO}).status_code == 201
            assert client.post("/v1/local/functions", json={"name": "made"}).status_code == 400
            assert client.delete("/v1/local/functions/made").status_code == 200
            assert client.post("/_emu/cron/local/tick").status_code == 200
        wait_until(lambda: any(re.search(r"tick\s+cron \d\d:\d\d\s+200 ", line) for line in started.lines),
                   message="the cron fire's line")  # not the table's "cron (next ...)"
    finally:
        started.stop()
    text = "\n".join(started.lines)
    for pattern in [r"getonly\s+refused GET /\s+401\s+\d+\.\d ms  this function's http trigger needs auth",
                    r"nope\s+refused GET /\s+404 .* function 'nope' not found",
                    r"getonly\s+refused POST /x\s+405 .* allowed: GET, HEAD",
                    r"hello\s+refused POST /\s+413 ",
                    r"made\s+deploy v1\s+201\s+\d+\.\d ms$",
                    r"-\s+deploy\s+400 .* code: required",
                    r"made\s+delete\s+200\s+\d+\.\d ms$",
                    r"tick\s+cron \d\d:\d\d\s+200 "]:
        assert re.search(pattern, text, re.M), (pattern, text)


def test_json_lines_carry_the_same_events(tmp_path):
    started = Started(_folder(tmp_path), "--log-format", "json")
    try:
        assert httpx.get(f"{started.url}/v1/local/fn/getonly").status_code == 401
        assert httpx.get(f"{started.url}/v1/local/fn/hello").status_code == 401
        wait_until(lambda: sum('"refused"' in line for line in started.lines) == 2, message="two refused lines")
        hint = json.loads(started.wait_for('"hint"'))
    finally:
        started.stop()
    events = [json.loads(line) for line in started.lines if line.startswith("{")]
    functions = {e["function"]: e["triggers"] for e in events if e["event"] == "function"}
    assert functions == {"getonly": ["http (GET, token)"], "hello": ["http (token)"], "tick": ["cron (next "
                         + functions["tick"][0].removeprefix("cron (next ")]}
    assert hint["curl"].startswith("curl --oauth2-bearer fnemu-dev-token ") and "FNEMU_URL=" in hint["export"]
    refused = [e for e in events if e["event"] == "refused"]
    assert [(e["function"], e["status_code"]) for e in refused] == [("getonly", 401), ("hello", 401)]


def test_a_save_prints_the_new_version_and_its_time_to_ready_and_watchfiles_says_nothing(tmp_path):
    started = Started(_folder(tmp_path))
    try:
        (tmp_path / "notes.txt").write_text("not a function")
        (tmp_path / "hello.py").write_text(HELLO.replace("hi from", "hello from"))
        line = started.wait_for("updated")
    finally:
        err = started.stop()
    assert re.fullmatch(r"\s*updated  hello  v2, ready in \d+ ms", line), line
    assert "change" not in err, err


def test_quiet_prints_errors_only(tmp_path):
    (tmp_path / "broken.py").write_text("def handler(event, context):\n    raise RuntimeError('boom')\n")
    started = Started(_folder(tmp_path), "--quiet")
    auth = {"Authorization": "Bearer fnemu-dev-token"}
    try:
        assert httpx.get(f"{started.url}/v1/local/fn/hello", headers=auth).text == "hi"
        assert httpx.get(f"{started.url}/v1/local/fn/nope", headers=auth).status_code == 404
        assert httpx.get(f"{started.url}/v1/local/fn/broken", headers=auth).status_code == 500
        started.wait_for("broken ")
    finally:
        started.stop()
    assert started.lines[0].startswith("fnemu listening on")
    (failed,) = started.lines[1:2]
    assert re.search(r"broken\s+http GET /\s+500 .* error: RuntimeError: boom", failed), started.lines
    assert not any("hello" in line or "nope" in line or "curl" in line for line in started.lines), started.lines


def test_verbose_prints_every_request_with_its_headers_credentials_hidden(tmp_path):
    started = Started(_folder(tmp_path), "--verbose")
    try:
        assert httpx.get(f"{started.url}/v1/local/functions", headers={"Authorization": "Bearer fnemu-dev-token",
                                                                        "X-Trace": "t-1"}).status_code == 200
        started.wait_for("X-Trace")
    finally:
        started.stop()
    at = started.lines.index(next(line for line in started.lines if "GET /v1/local/functions" in line))
    assert re.search(r"-\s+GET /v1/local/functions\s+200 ", started.lines[at])
    headers = started.lines[at + 1:]
    assert "    > Authorization: Bearer ***" in headers and "    > X-Trace: t-1" in headers
    assert not any("fnemu-dev-token" in line for line in headers)


def test_the_export_line_names_only_what_differs_from_the_client_defaults(make_emulator, monkeypatch):
    monkeypatch.delenv("FNEMU_TOKEN", raising=False)
    server = make_emulator(token="secret-1").server

    async def banner(url: str) -> list[str]:
        """The banner as if the server listened on `url`."""
        out = io.StringIO()
        Terminal(out, json_lines=False, colour=False, hold=False).ready(url, server)
        await asyncio.sleep(0)
        return out.getvalue().splitlines()

    assert asyncio.run(banner("http://127.0.0.1:8787"))[-1] == "export FNEMU_TOKEN=secret-1"
    assert asyncio.run(banner("http://127.0.0.1:9000"))[-1] == "export FNEMU_URL=http://127.0.0.1:9000 FNEMU_TOKEN=secret-1"
    server = make_emulator().server
    assert not any(line.startswith("export") for line in asyncio.run(banner("http://127.0.0.1:8787")))
