"""§3, §5: where deployed code lives. API code is stored by revision only, under its platform's file
name (never the function's name or app id), and each version's files stay until its last worker
is gone."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from emulator.keys import REGISTRY, RUNTIME
from emulator.registry.spec import parse_spec
from tests.helpers import wait_until

WHERE_PY = """import json, os, sys

def lambda_handler(event, context):
    return {"statusCode": 200, "body": json.dumps({
        "file": __file__, "module": __name__, "handler": os.environ["_HANDLER"],
        "own_name_imported": "json" in sys.modules and sys.modules["json"].__file__ == __file__})}
"""


def snapshot_of(fnemu, name: str, app_id: str = "local") -> Path:
    return fnemu.server.app[REGISTRY].get(app_id, name).current.snapshot


def test_python_code_is_lambda_function_py_and_never_shadows_what_it_imports(fnemu):
    fnemu.deploy("json", WHERE_PY)  # named like the module it imports
    where = fnemu.call("json").json()
    snapshot = snapshot_of(fnemu, "json")
    assert Path(where["file"]) == snapshot / "lambda_function.py"
    assert snapshot.name.startswith("r") and snapshot.name[1:].isdigit()
    assert (where["module"], where["handler"]) == ("lambda_function", "lambda_function.lambda_handler")
    assert where["own_name_imported"] is False


def test_node_code_is_index_mjs_or_index_cjs_by_its_module_system(fnemu):
    fnemu.deploy("esm", "export default async () => new Response(import.meta.url);\n")
    fnemu.deploy("cjs", "exports.handler = async () => ({ statusCode: 200, body: __filename });\n")
    assert fnemu.call("esm").text == (snapshot_of(fnemu, "esm") / "index.mjs").as_uri()
    assert fnemu.call("cjs").text == str(snapshot_of(fnemu, "cjs") / "index.cjs")


def test_no_path_is_built_from_the_app_id_or_name(fnemu):
    registry = fnemu.server.app[REGISTRY]
    spec = parse_spec({"name": "escape", "code": WHERE_PY})
    code_root = snapshot_of(fnemu, fnemu.deploy("probe", WHERE_PY)["name"]).parent

    async def deploy():
        fn, _ = await registry.deploy("../../../tmp", spec)
        return fn.current

    version = fnemu._thread.run(deploy())
    assert version.entry.relative_to(code_root).parts == (f"r{version.revision}", "lambda_function.py")


SLOW = """import os, time

def lambda_handler(event, context):
    query = event.get("queryStringParameters") or {}
    if "hold" in query:
        open(query["hold"] + ".started", "w").close()
        deadline = time.monotonic() + 20
        while not os.path.exists(query["hold"] + ".release") and time.monotonic() < deadline:
            time.sleep(0.01)
        if "crash" in query:
            os._exit(1)
    return {"statusCode": 200, "body": "VERSION"}
"""


def test_a_replaced_version_keeps_its_files_until_its_in_flight_call_ends(fnemu, tmp_path):
    fnemu.deploy("slow", SLOW.replace("VERSION", "one"))
    old = snapshot_of(fnemu, "slow")
    hold = tmp_path / "hold"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(fnemu.call, "slow", path=f"/?hold={hold}")
        wait_until(lambda: hold.with_suffix(".started").exists(), message="the call to be in flight")
        fnemu.deploy("slow", SLOW.replace("VERSION", "two"))
        assert fnemu.call("slow").text == "two"
        assert old.is_dir(), "the old version's files stay while its call runs"
        hold.with_suffix(".release").touch()
        assert in_flight.result(timeout=30).text == "one"
    wait_until(lambda: not old.exists(), message="the old version's files to be removed")
    assert snapshot_of(fnemu, "slow").is_dir()


def test_a_replaced_version_starts_a_worker_from_its_own_files_for_a_caller_still_waiting(make_emulator, tmp_path):
    """Cap 1: B waits behind A on version one; two is deployed; A's worker crashes, and B gets a
    fresh worker of version one, started from version one's files after it was replaced."""
    emu = make_emulator(max_workers_per_function=1)
    emu.deploy("slow", SLOW.replace("VERSION", "one"))
    old = emu.server.app[REGISTRY].get("local", "slow").current
    pool_of_old = emu.server.app[RUNTIME]._pools[old.revision]
    hold = tmp_path / "hold"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        crashing = pool.submit(emu.call, "slow", path=f"/?hold={hold}&crash=1")
        wait_until(lambda: hold.with_suffix(".started").exists(), message="the first call to be in flight")
        waiting = pool.submit(emu.call, "slow")
        wait_until(lambda: len(pool_of_old._waiters) == 1, message="the second call to wait for the worker")
        emu.deploy("slow", SLOW.replace("VERSION", "two"))
        hold.with_suffix(".release").touch()
        assert crashing.result(timeout=30).status_code == 502
        assert waiting.result(timeout=30).text == "one"
    wait_until(lambda: not old.snapshot.exists(), message="the old version's files to be removed")


def test_an_env_patch_keeps_the_files_and_a_delete_removes_them(fnemu):
    fnemu.deploy("envy", "import os\ndef lambda_handler(event, context):\n"
                         "    return {'statusCode': 200, 'body': os.environ.get('WHO', '-')}\n")
    snapshot = snapshot_of(fnemu, "envy")
    fnemu.client.set_env("envy", {"WHO": "patched"})
    assert fnemu.call("envy").text == "patched"  # a new worker, started from the same files
    assert snapshot_of(fnemu, "envy") == snapshot and snapshot.is_dir()
    fnemu.client.delete("envy")
    wait_until(lambda: not snapshot.exists(), message="the deleted function's files to be removed")


def test_code_that_does_not_load_leaves_no_files(fnemu):
    code_root = snapshot_of(fnemu, fnemu.deploy("probe", WHERE_PY)["name"]).parent
    before = set(code_root.iterdir())
    broken = {"name": "broken", "code": "def lambda_handler(event, context):\n  return (\n"}
    response = fnemu.client.request("POST", fnemu.client.functions_path(), json=broken)
    assert response.status_code == 400
    wait_until(lambda: set(code_root.iterdir()) <= before, message="the rejected version's files to be removed")


def test_the_code_root_is_removed_when_the_emulator_stops(make_emulator):
    emu = make_emulator()
    emu.deploy("hello", WHERE_PY)
    code_root = snapshot_of(emu, "hello").parent
    assert code_root.is_dir()
    emu._thread.stop()
    assert not code_root.exists()
