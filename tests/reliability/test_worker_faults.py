"""§5 faults of a function's worker: a Node function that throws after it has answered (a timer, a
promise rejected with no handler), and a worker that floods its stdout and never reads its frames.
Each keeps its answer or costs only its own invocation, says so in one clear entry or line, and
the next call is green."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import wait_until

LATE = """export const handler = async (event) => {
  if (event.path === '/timer') setTimeout(() => { throw new Error('late from a timer'); }, 0);
  if (event.path === '/rejection') Promise.reject(new Error('late rejection'));
  if (event.path === '/timer-rejection') setTimeout(() => Promise.reject(new Error('later rejection')), 0);
  if (event.path === '/wait') await new Promise((resolve) => setTimeout(resolve, 20));
  return { statusCode: 200, body: String(process.pid) };
};
"""


@pytest.mark.fault("a Node function that throws after it has answered")
@pytest.mark.parametrize(("path", "error", "kind"), [
    ("/timer", "Error: late from a timer (index.mjs, line 2)", "an uncaught exception"),
    ("/rejection", "Error: late rejection (index.mjs, line 3)", "a promise rejected with no handler"),
    ("/timer-rejection", "Error: later rejection (index.mjs, line 4)", "a promise rejected with no handler"),
])
def test_a_node_error_after_the_answer_keeps_the_200_is_logged_with_its_invocation_and_the_next_call_is_green(
        fnemu: Any, caplog: pytest.LogCaptureFixture, path: str, error: str, kind: str) -> None:
    caplog.set_level(logging.WARNING, "fnemu.worker")
    fnemu.deploy("late", LATE)
    answered = fnemu.call("late", path=path)
    assert answered.status_code == 200
    entry = fnemu.logs("late", limit=1)[0]
    assert entry["status_code"] == 200 and entry["error"] is None
    line = f"local/late@1: {error}: {kind} after invocation {entry['id']} had answered"
    lines = wait_until(lambda: [r.getMessage() for r in caplog.records if r.getMessage().startswith(line)],
                       message="the late error's line")
    assert len(lines) == 1, lines
    logged = wait_until(lambda: [c["message"] for c in fnemu.logs("late", limit=1)[0]["consoleLogs"]],
                        message="the late error in its invocation's entry")
    assert logged[0].startswith(f"{error}: {kind}") and "index.mjs:" in logged[0]  # with its stack
    # The next calls, one of them waiting on a timer of its own, are green, on the same worker.
    for then in ("/wait", "/"):
        response = fnemu.call("late", path=then)
        assert response.status_code == 200 and response.text == answered.text
    assert [e["status_code"] for e in fnemu.logs("late")] == [200, 200, 200]


FLOOD = {
    "python": ("import os, pathlib\n"
               "def handler(event, context):\n"
               "    mark = (event.get('queryStringParameters') or {}).get('mark')\n"
               "    if mark:\n"
               "        pathlib.Path(mark).touch()\n"
               "        while True:\n"
               "            os.write(1, b'x' * 65536)\n"
               "    return {'statusCode': 200, 'body': str(os.getpid())}\n"),
    "node": ("import fs from 'node:fs';\n"
             "export const handler = async (event) => {\n"
             "  const mark = event.queryStringParameters?.mark;\n"
             "  if (mark) {\n"
             "    fs.writeFileSync(mark, '');\n"
             "    const chunk = Buffer.alloc(65536, 120);\n"
             "    for (;;) fs.writeSync(1, chunk);\n"
             "  }\n"
             "  return { statusCode: 200, body: String(process.pid) };\n"
             "};\n"),
}


@pytest.mark.fault("a worker that floods its stdout and never reads its frames")
@pytest.mark.parametrize("language", ["python", "node"])
def test_a_worker_flooding_stdout_without_newlines_times_out_alone_and_the_emulator_keeps_answering(
        fnemu: Any, language: str, tmp_path: Path) -> None:
    fnemu.deploy("flood", FLOOD[language], timeoutMs=3000)
    fnemu.deploy("other", FLOOD[language])
    first = fnemu.call("flood").text
    mark = tmp_path / "flooding"
    with ThreadPoolExecutor(1) as pool:
        flooding = pool.submit(fnemu.call, "flood", "GET", f"?mark={mark}")
        wait_until(mark.exists, message="the flood to start")
        started = time.monotonic()
        assert fnemu.http.get("/_emu/health").status_code == 200
        assert fnemu.call("other").status_code == 200  # another function, meanwhile
        assert time.monotonic() - started < 2.5, "the emulator was held up by the flood"
        assert not flooding.done()
        response = flooding.result()
    assert response.status_code == 504
    entry = fnemu.logs("flood", limit=1)[0]
    assert entry["error"] == "timed out after 3000 ms"
    *kept, mark_line = entry["consoleLogs"]
    assert sum(len(line["message"]) for line in kept) == 1024 * 1024 and set(kept[0]["message"]) == {"x"}
    assert "truncated" in mark_line["message"]
    after = fnemu.call("flood")
    assert after.status_code == 200 and after.text != first  # a fresh worker
