"""§3/§5 Node functions that do not load, throw, exit, hang or overspend: each costs only itself."""

from __future__ import annotations

import concurrent.futures
import os
import shutil

import httpx
import pytest

from emulator.client import ClientError
from emulator.keys import REGISTRY, RUNTIME
from tests.helpers import fixture_code, wait_until

from .procs import descendants, folder, gone

FAULTS = fixture_code("node/faults.mjs")
OK = "export const handler = async () => ({ statusCode: 200, body: 'ok' });\n"


def deploy_error(fnemu, name: str, code: str, **fields) -> dict:
    with pytest.raises(ClientError) as caught:
        fnemu.deploy(name, code, **fields)
    assert caught.value.status == 400, caught.value.body
    return caught.value.body["error"]


@pytest.mark.parametrize(("code", "line"), [
    ("export const handler = async () => {\n  return { statusCode: 200 };\n  }}\n", 3),
    ("exports.handler = async () => {\n  const a = ;\n};\n", 2),
], ids=["esm", "commonjs"])
def test_syntax_error_is_refused_at_deploy_with_its_line(fnemu, code, line):
    error = deploy_error(fnemu, "broken", code)
    assert error["field"] == "code"
    assert error["message"].startswith("SyntaxError: ")
    assert f"line {line}" in error["message"]


def test_missing_handler_is_refused_at_deploy_naming_what_to_export(fnemu):
    error = deploy_error(fnemu, "nothing", "export const notTheHandler = 1;\n", runtime="lambda")
    assert "exports.handler" in error["message"]
    error = deploy_error(fnemu, "nothing", "export const handler = 1;\n", runtime="web")
    assert "export default" in error["message"]


def test_error_thrown_at_load_names_its_line(fnemu):
    error = deploy_error(fnemu, "boom", "const x = 1;\nthrow new Error('at import');\nexport default () => 1;\n")
    assert "Error: at import" in error["message"] and "line 2" in error["message"]


@pytest.mark.parametrize(("code", "field", "words"), [
    ("def handler(event, context):\n    return 1\n// module.exports = {}\n", "language", ["both", "def"]),
    ("console.log('no handler anywhere');\n", "language", ["could not tell", '"language"']),
    ("export default async () => new Response('');\nexport const handler = async () => ({});\n",
     "runtime", ["web", "lambda", '"runtime"']),
    ("import fs from 'node:fs';\nconst x = fs;\n", "runtime", ["no Node handler", '"runtime"']),
])
def test_a_guess_that_cannot_be_made_is_a_400_saying_what_was_found(fnemu, code, field, words):
    error = deploy_error(fnemu, "unsure", code)
    assert error["field"] == field
    for word in words:
        assert word in error["message"]


def test_choosing_the_language_overrides_the_guess(fnemu):
    code = "# module.exports in a comment\ndef handler(event, context):\n    return {'statusCode': 200, 'body': 'py'}\n"
    assert deploy_error(fnemu, "chosen", code)["field"] == "language"
    assert fnemu.deploy("chosen", code, language="python")["language"] == "python"
    assert fnemu.call("chosen").text == "py"


def test_throw_is_a_500_with_message_line_and_stack_in_the_log(fnemu):
    code = "export const handler = async () => {\n  throw new TypeError('bad input');\n};\n"
    fnemu.deploy("thrower", code)
    response = fnemu.call("thrower")
    assert response.status_code == 500
    assert "bad input" not in response.text
    error = fnemu.logs("thrower")[0]["error"]
    assert error.startswith("TypeError: bad input (index.mjs, line 2)")
    assert "at handler" in error and "node_worker" not in error


def test_process_exit_is_a_502_and_the_next_call_gets_a_fresh_worker(fnemu):
    code = "export const handler = async (event) => {\n  if (event.path === '/exit') process.exit(3);\n" \
           "  return { statusCode: 200, body: String(process.pid) };\n};\n"
    fnemu.deploy("quitter", code)
    first_pid = fnemu.call("quitter").text
    assert fnemu.call("quitter", path="/exit").status_code == 502
    assert "exited with code 3" in fnemu.logs("quitter")[0]["error"]
    response = fnemu.call("quitter")
    assert response.status_code == 200 and response.text != first_pid


def test_uncaught_exception_in_a_timer_kills_only_that_invocation(fnemu):
    code = "export const handler = (event) => new Promise((resolve) => {\n" \
           "  if (event.path === '/ok') return resolve({ statusCode: 200, body: 'fine' });\n" \
           "  setTimeout(() => { throw new Error('from a timer'); }, 5);\n});\n"
    fnemu.deploy("timer", code)
    assert fnemu.call("timer", path="/die").status_code == 502
    entry = fnemu.logs("timer")[0]
    assert "exited with code 1" in entry["error"]
    assert any("from a timer" in line["message"] for line in entry["consoleLogs"])
    assert fnemu.call("timer", path="/ok").text == "fine"


@pytest.mark.parametrize("body", ["await new Promise(() => {});", "for (;;) {}"], ids=["hang", "busy"])
def test_past_timeout_is_a_504_and_the_next_call_works(fnemu, body):
    code = f"export const handler = async (event) => {{\n  if (event.path === '/slow') {{ {body} }}\n" \
           "  return { statusCode: 200, body: 'quick' };\n};\n"
    fnemu.deploy("slow", code, timeoutMs=300)
    assert fnemu.call("slow", path="/slow").status_code == 504
    assert "timed out after 300 ms" in fnemu.logs("slow")[0]["error"]
    assert fnemu.call("slow").text == "quick"


@pytest.mark.parametrize(("do", "signal_name"), [("abort", "SIGABRT"), ("sigkill", "SIGKILL")])
def test_a_worker_killed_by_a_signal_is_a_502_naming_it(fnemu, do, signal_name):
    fnemu.deploy("signalled", FAULTS)
    pid = fnemu.call("signalled").json()["pid"]
    assert fnemu.call("signalled", path=f"/?do={do}").status_code == 502
    assert f"killed by {signal_name}" in fnemu.logs("signalled")[0]["error"]
    assert gone(pid)
    assert fnemu.call("signalled").json()["pid"] != pid


def test_a_deadline_at_any_phase_of_the_memory_watch_times_out(fnemu):
    """The RSS looks (every 20 ms) and the deadline share one timer: the deadline always fires."""
    code = "export const handler = async () => { await new Promise(() => {}); };\n"
    for timeout_ms in (1, 20, 21, 40, 41):
        fnemu.deploy("late", code, timeoutMs=timeout_ms)
        assert fnemu.call("late").status_code == 504, timeout_ms


def test_memory_mb_is_the_peak_of_each_invocation(fnemu):
    code = "export const handler = async (event) => {\n" \
           "  const size = Number(event.queryStringParameters?.mb ?? 0) * 1024 * 1024;\n" \
           "  const block = Buffer.alloc(size, 1);\n" \
           "  return { statusCode: 200, body: String(block.length) };\n};\n"
    fnemu.deploy("eater", code, memoryLimitMb=512)
    fnemu.call("eater")
    fnemu.call("eater", path="/?mb=150")
    big, small = (e["memory_mb"] for e in fnemu.logs("eater"))
    assert 20 < small < 100
    assert big > small + 140


def test_past_the_memory_limit_is_a_500_that_says_so(fnemu):
    code = "const kept = [];\nexport const handler = async () => {\n" \
           "  for (let i = 0; i < 40; i++) {\n    kept.push(Buffer.alloc(8 * 1024 * 1024, 1));\n" \
           "    await new Promise((resolve) => setTimeout(resolve, 5));\n  }\n" \
           "  return { statusCode: 200, body: 'survived' };\n};\n"
    fnemu.deploy("leaky", code, memoryLimitMb=128)
    response = fnemu.call("leaky")
    assert response.status_code == 500
    entry = fnemu.logs("leaky")[0]
    assert "memory limit exceeded" in entry["error"]
    assert entry["memory_mb"] > 128
    assert fnemu.call("leaky").status_code == 500  # a fresh worker, the same leak


@pytest.mark.parametrize("do", ["leak", "heap"], ids=["buffers", "objects"])
def test_a_leak_that_never_awaits_is_stopped_at_the_memory_limit(fnemu, do):
    """The worker's own checks cannot run: V8's heap limit or the emulator's RSS watchdog ends it
    long before the timeout."""
    fnemu.deploy("hog", FAULTS, memoryLimitMb=128, timeoutMs=120_000)
    pid = fnemu.call("hog").json()["pid"]
    assert fnemu.call("hog", path=f"/?do={do}").status_code == 500
    entry = fnemu.logs("hog")[0]
    assert entry["error"].startswith("memory limit exceeded (128 MB): ")
    assert entry["duration_ms"] < 60_000
    wait_until(lambda: gone(pid), message="the worker to die")
    assert fnemu.call("hog").status_code == 200


def test_printing_50_mb_is_capped_and_the_response_is_fine(fnemu):
    fnemu.deploy("loud", FAULTS, timeoutMs=60_000)
    for channel in ("print", "raw"):
        response = fnemu.call("loud", path=f"/?do={channel}&mb=50")
        assert response.status_code == 200 and "pid" in response.json()
        *kept, mark = fnemu.logs("loud", limit=1)[0]["consoleLogs"]
        assert sum(len(line["message"]) for line in kept) == 1024 * 1024, channel
        assert "truncated" in mark["message"]


def test_a_leftover_child_and_timer_die_with_a_replaced_worker(fnemu):
    fnemu.deploy("leaver", FAULTS)
    answer = fnemu.call("leaver", path="/?do=leave").json()
    assert not gone(answer["child"])
    assert fnemu.call("leaver").json()["pid"] == answer["pid"]  # a live timer does not hold the call
    fnemu.deploy("leaver", FAULTS + "\n")
    wait_until(lambda: gone(answer["pid"]) and gone(answer["child"]),
               message="the old worker and its child to stop")


def test_a_leftover_child_dies_with_a_worker_that_exits(fnemu):
    fnemu.deploy("leaver", FAULTS)
    answer = fnemu.call("leaver", path="/?do=leave").json()
    assert fnemu.call("leaver", path="/?do=exit").status_code == 502
    wait_until(lambda: gone(answer["child"]), message="the exited worker's child to stop")


def test_64_concurrent_requests_are_answered_by_at_most_the_cap_of_workers(make_emulator):
    emu = make_emulator(max_workers_per_function=4)
    code = "export default async (req) => {\n  await new Promise((resolve) => setTimeout(resolve, 10));\n" \
           "  return new Response(new URL(req.url).searchParams.get('n'));\n};\n"
    emu.deploy("busy", code)
    server = emu.server
    fn = server.app[REGISTRY].get("local", "busy")
    peak = 0

    def call(n: int) -> str:
        nonlocal peak
        text = emu.call("busy", path=f"/?n={n}").text
        peak = max(peak, server.app[RUNTIME].workers(fn.current))
        return text

    with concurrent.futures.ThreadPoolExecutor(64) as pool:
        answers = list(pool.map(call, range(64)))
    assert answers == [str(n) for n in range(64)]
    assert 1 <= peak <= 4
    alive = [pid for pid in descendants(os.getpid()) if folder(pid) == fn.current.entry.parent]
    assert 1 <= len(alive) <= 4


def test_missing_node_binary_is_a_400_naming_the_option(make_emulator):
    emu = make_emulator(node="/nonexistent/node")
    with pytest.raises(ClientError) as caught:
        emu.deploy("lam", OK)
    assert caught.value.status == 400
    assert "--node" in caught.value.body["error"]["message"]


def test_a_busy_worker_dies_with_a_killed_emulator(fnemu_process):
    proc, client = fnemu_process
    code = "export const handler = async () => { for (;;) {} };\n"
    client.post("/v1/local/functions", json={"name": "node-spinner", "code": code,
                                             "timeoutMs": 300000}).raise_for_status()
    with pytest.raises(httpx.ReadTimeout):
        client.get("/v1/local/fn/node-spinner", timeout=0.5)
    workers = descendants(proc.pid)
    assert workers
    code = next(path for pid in workers if (path := folder(pid)) and (path / "index.mjs").is_file())
    proc.kill()
    wait_until(lambda: all(gone(pid) for pid in workers), message="the spinning worker to die")
    shutil.rmtree(code.parent)  # the killed emulator cannot remove its code folder itself
