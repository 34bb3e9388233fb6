"""§5 workers start from spares: blank processes started ahead of need, one per start command in
use, each serving one function once (nothing of another function reaches it) and replaced after
use; a function the spare cannot serve (a debugger, a variable its interpreter reads as it starts,
another Node heap size) starts as before; spares stop with the emulator or after their command's
last function."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from emulator.runtime.interpreters import node_heap_flags
from emulator.runtime.platform_env import blank_env
from emulator.runtime.protocol import ENV_FDS
from tests.helpers import wait_until

from .procs import cmdline, descendants, environ, folder, gone, spares

PYTHON = """\
import json, os, sys

FOUND = {"leak": os.environ.get("LEAK"), "leaked": "fnemu_leaked" in sys.modules}
os.environ["LEAK"] = "yes"
sys.modules["fnemu_leaked"] = sys


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({
        **FOUND, "pid": os.getpid(), "env": sorted(os.environ), "cwd": os.getcwd(),
        "here": os.path.dirname(os.path.abspath(__file__)), "path": sys.path, "modules": sorted(sys.modules)})}
"""
NODE_REPORT = """\
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const found = { leak: process.env.LEAK ?? null, leaked: globalThis.fnemuLeaked ?? false };
process.env.LEAK = 'yes';
globalThis.fnemuLeaked = true;
const report = () => ({
  ...found, pid: process.pid, env: Object.keys(process.env).sort(), cwd: process.cwd(),
  here: path.dirname(fileURLToPath(import.meta.url)), script: process.argv[1],
});
"""
KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "python-lambda": (PYTHON, {}),
    "node-lambda": (NODE_REPORT + "export const handler = async () => ({ statusCode: 200, body: "
                    "JSON.stringify(report()) });\n", {}),
    "node-web": (NODE_REPORT + "export default async () => Response.json(report());\n", {"runtime": "web"}),
}
PID = "import os\ndef handler(event, context):\n    return {'statusCode': 200, 'body': str(os.getpid())}\n"
NODE_PID = "export const handler = async () => ({ statusCode: 200, body: String(process.pid) });\n"


def new_spares(before: set[int], count: int = 1) -> set[int]:
    """Once there are `count` spares not in `before` (this test's emulator's), those."""
    def found() -> set[int] | None:
        new = spares(descendants(os.getpid()) - before)
        return new if len(new) == count else None

    return wait_until(found, message=f"{count} spare(s)")


@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_starts_from_the_spare_which_is_then_replaced(make_emulator: Any, kind: str) -> None:
    code, fields = KINDS[kind]
    before = descendants(os.getpid())
    emu = make_emulator()
    emu.deploy("first", code, **fields)
    (spare,) = new_spares(before)
    assert set(environ(spare)) == {*blank_env(), ENV_FDS}  # nothing of the emulator's or a function's
    emu.deploy("second", code, **fields)
    assert emu.call("second").json()["pid"] == spare
    (replacement,) = new_spares(before | {spare})
    assert replacement != spare
    emu.deploy("third", code, **fields)
    assert emu.call("third").json()["pid"] == replacement


@pytest.mark.parametrize("kind", KINDS)
def test_a_worker_from_a_spare_has_nothing_of_another_function(make_emulator: Any, kind: str) -> None:
    code, fields = KINDS[kind]
    before = descendants(os.getpid())
    emu = make_emulator()
    emu.deploy("first", code, envVars={"FIRST_ONLY": "1"}, **fields)
    first = emu.call("first").json()
    (spare,) = new_spares(before)
    emu.deploy("second", code, envVars={"SECOND_ONLY": "2"}, **fields)
    second = emu.call("second").json()
    assert second["pid"] == spare
    assert second["leak"] is None and second["leaked"] is False
    # the environment a spawned worker gets, with its own envVars and no other's
    assert set(second["env"]) == set(first["env"]) - {"FIRST_ONLY"} | {"SECOND_ONLY"}
    assert second["cwd"] == second["here"] != first["here"]
    if kind == "python-lambda":
        assert second["path"][0] == second["here"] and first["here"] not in second["path"]
        assert second["modules"] == first["modules"]  # as clean as a spawned worker's
    else:
        assert Path(second["script"]).parent == Path(second["here"])


def test_a_python_spare_takes_the_memory_limit_of_its_function(make_emulator: Any) -> None:
    before = descendants(os.getpid())
    emu = make_emulator()
    emu.deploy("first", PID)
    (spare,) = new_spares(before)
    emu.deploy("hog", "import os\ndef handler(event, context):\n"
                      "    if event['queryStringParameters']:\n        b = bytearray(200 * 1024 * 1024)\n"
                      "    return {'statusCode': 200, 'body': str(os.getpid())}\n", memoryLimitMb=64)
    assert emu.call("hog").text == str(spare)
    response = emu.call("hog", path="/?hog=1")
    assert response.status_code == 500
    assert "memory" in emu.logs("hog")[0]["error"]


def test_a_node_function_of_another_heap_size_gets_a_spare_of_its_own(make_emulator: Any) -> None:
    before = descendants(os.getpid())
    emu = make_emulator()
    emu.deploy("small", NODE_PID)
    (small_spare,) = new_spares(before)
    emu.deploy("big", NODE_PID, memoryLimitMb=256)
    big = int(emu.call("big").text)
    assert big != small_spare and folder(small_spare) == Path("/")  # V8's heap is sized at start
    assert set(node_heap_flags(256)) <= set(os.fsdecode(cmdline(big)).split("\0")), cmdline(big)
    (big_spare,) = new_spares(before | {small_spare}) - {small_spare}
    emu.deploy("bigger", NODE_PID, memoryLimitMb=256)
    assert emu.call("bigger").text == str(big_spare)


def test_a_variable_read_as_the_interpreter_starts_is_not_given_a_spare(make_emulator: Any, tmp_path: Path) -> None:
    (tmp_path / "extra_module.py").write_text("VALUE = 'from PYTHONPATH'\n")
    before = descendants(os.getpid())
    emu = make_emulator()
    emu.deploy("first", PID)
    (spare,) = new_spares(before)
    emu.deploy("pathed", "import extra_module\ndef handler(event, context):\n"
                         "    return {'statusCode': 200, 'body': extra_module.VALUE}\n",
               envVars={"PYTHONPATH": str(tmp_path)})
    assert emu.call("pathed").text == "from PYTHONPATH"
    assert folder(spare) == Path("/")


def test_a_debugged_function_starts_its_own_worker_and_leaves_the_spare(make_emulator: Any) -> None:
    before = descendants(os.getpid())
    emu = make_emulator(debug_port=0)
    emu.deploy("plain", NODE_PID)
    (spare,) = new_spares(before)
    emu.deploy("inspected", NODE_PID, debug=True)
    pid = int(emu.call("inspected").text)
    assert pid != spare and folder(spare) == Path("/")
    assert b"--inspect=127.0.0.1:" in cmdline(pid)


def test_no_spare_starts_for_a_language_without_functions(make_emulator: Any) -> None:
    before = descendants(os.getpid())
    emu = make_emulator()
    emu.deploy("py", PID)
    new_spares(before)
    assert not [pid for pid in descendants(os.getpid()) - before if b"node_worker.mjs" in cmdline(pid)]


def test_a_spare_stops_after_the_idle_time_once_no_function_uses_it(make_emulator: Any) -> None:
    before = descendants(os.getpid())
    emu = make_emulator(idle_worker_seconds=0.3)
    emu.deploy("py", PID)
    (spare,) = new_spares(before)
    emu.client.delete("py")
    wait_until(lambda: gone(spare), message="the spare to stop")
    assert not spares(descendants(os.getpid()) - before)


def test_with_spares_off_every_worker_is_spawned_and_nothing_waits_ahead(make_emulator: Any) -> None:
    """`fnemu start --no-spares`: a spare would be forked as soon as a worker start has served its
    caller, before the emulator reads its next request; here only the two workers exist."""
    before = descendants(os.getpid())
    emu = make_emulator(spares=False)
    pids = set()
    for name in ("first", "second"):
        emu.deploy(name, PID)
        pids.add(int(emu.call(name).text))
    assert emu.client.health()["status"] == "ok"
    assert descendants(os.getpid()) - before == pids
