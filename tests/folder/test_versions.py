"""§10: a folder function's version is a snapshot of all its files, and every worker of a version
(also one started later, for scale-out or to replace a crashed one) runs that snapshot."""

from __future__ import annotations

import concurrent.futures
import json
import os
from pathlib import Path

import pytest

from tests.folder.test_folder import body_of, write
from tests.helpers import wait_until
from tests.runtime.procs import descendants

MAIN = """import json, os, time
from helper import TEXT

def handler(event, context):
    query = event.get("queryStringParameters") or {}
    if query.get("crash"):
        os._exit(3)
    if query.get("gather"):  # hold until 4 calls are in 4 workers at once
        open(os.path.join(query["gather"], str(context.aws_request_id)), "w").close()
        deadline = time.monotonic() + 10
        while len(os.listdir(query["gather"])) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    with open(os.path.join(os.path.dirname(__file__), "data.json")) as f:
        data = json.load(f)
    return {"statusCode": 200, "body": json.dumps({"text": TEXT, "data": data, "pid": os.getpid()})}
"""


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    folder = tmp_path / "functions" / "pkg"
    write(folder / "main.py", MAIN)
    write(folder / "helper.py", "TEXT = 'v1'\n")
    write(folder / "data.json", '{"price": 1}')
    return folder


def answer(emu, path: str = "") -> dict | None:
    response = emu.call("pkg", path=path)
    return response.json() if response.status_code == 200 else None


def serves(emu, **expected) -> bool:
    got = answer(emu)
    return got is not None and all(got[k] == v for k, v in expected.items())


def test_saving_a_sibling_module_makes_a_new_version(pkg, make_emulator):
    emu = make_emulator(functions_dir=pkg.parent)
    assert answer(emu)["text"] == "v1"
    write(pkg / "helper.py", "TEXT = 'v2'\n")
    wait_until(lambda: serves(emu, text="v2"), message="the saved helper to serve")
    assert emu.client.get("pkg")["version"] == 2


def test_saving_a_json_data_file_makes_a_new_version(pkg, make_emulator):
    emu = make_emulator(functions_dir=pkg.parent)
    assert answer(emu)["data"] == {"price": 1}
    write(pkg / "data.json", '{"price": 2}')
    wait_until(lambda: serves(emu, data={"price": 2}), message="the saved data file to serve")
    assert emu.client.get("pkg")["version"] == 2


def test_workers_started_after_a_broken_save_run_the_last_good_version(pkg, make_emulator, caplog, tmp_path):
    emu = make_emulator(functions_dir=pkg.parent)
    first = answer(emu)
    assert first["text"] == "v1"
    started = descendants(os.getpid())  # the call's worker, the folder's warm-up one, a spare
    write(pkg / "helper.py", "TEXT = (\n")
    write(pkg / "data.json", '{"price": "broken"}')
    wait_until(lambda: any("helper.py" in r.getMessage() and "line 1" in r.getMessage() for r in caplog.records),
               message="the broken save to be reported")
    assert emu.client.get("pkg")["version"] == 1

    def replaced() -> dict | None:  # crash the workers started before the broken save, one a call
        assert emu.call("pkg", path="/?crash=1").status_code == 502
        served = answer(emu)
        return served if served["pid"] not in started else None

    replacement = wait_until(replaced, message="a worker started after the broken save")
    assert (replacement["text"], replacement["data"]) == ("v1", {"price": 1})

    gather = tmp_path / "gather"
    gather.mkdir()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: answer(emu, f"/?gather={gather}"), range(4)))
    assert len({a["pid"] for a in answers}) == 4, "four workers at once: three started for the load"
    assert {(a["text"], json.dumps(a["data"])) for a in answers} == {("v1", '{"price": 1}')}
    assert emu.client.get("pkg")["version"] == 1


def test_without_watching_a_later_worker_still_runs_the_loaded_files(pkg, make_emulator):
    emu = make_emulator(functions_dir=pkg.parent, watch=False)
    first = answer(emu)
    write(pkg / "helper.py", "TEXT = 'edited'\n")
    assert emu.call("pkg", path="/?crash=1").status_code == 502
    later = answer(emu)
    assert later["pid"] != first["pid"] and later["text"] == "v1"


NODE_SHARED = "export const shared = (s) => `[${s}]`;\n"
PACKAGE = "module.exports = (s) => s.toUpperCase();\n"


def test_node_functions_resolve_packages_type_and_shared_modules_from_above(tmp_path, make_emulator):
    """project/{package.json "type": "module", node_modules/}, project/functions/{_shared.mjs,
    greet.js, orders/index.js}: a `.js` file is an ES module by the package.json above it."""
    project = tmp_path / "project"
    write(project / "package.json", '{"type": "module"}')
    write(project / "node_modules" / "shout" / "package.json", '{"name": "shout", "main": "index.cjs"}')
    write(project / "node_modules" / "shout" / "index.cjs", PACKAGE)
    functions = project / "functions"
    write(functions / "_shared.mjs", NODE_SHARED)
    write(functions / "greet.js", "import shout from 'shout';\nimport { shared } from './_shared.mjs';\n"
                                  "export default async () => new Response(shared(shout('hi')));\n")
    write(functions / "orders" / "index.js", "import shout from 'shout';\nimport { shared } from '../_shared.mjs';\n"
                                             "import { n } from './count.js';\n"
                                             "export default async () => new Response(shared(shout(`n=${n}`)));\n")
    write(functions / "orders" / "count.js", "export const n = 1;\n")
    emu = make_emulator(functions_dir=functions)
    assert body_of(emu, "greet") == "[HI]"
    assert body_of(emu, "orders") == "[N=1]"
    write(functions / "orders" / "count.js", "export const n = 2;\n")
    wait_until(lambda: body_of(emu, "orders") == "[N=2]", message="the saved sibling module to serve")
    write(functions / "_shared.mjs", "export const shared = (s) => `<${s}>`;\n")
    wait_until(lambda: body_of(emu, "greet") == "<HI>" and body_of(emu, "orders") == "<N=2>",
               message="the shared module change to redeploy both")
    assert emu.client.get("orders")["version"] == 3


def test_a_shared_package_beside_the_functions_is_importable(tmp_path, make_emulator):
    """A folder with no entry file is a shared package, not a function: it is linked into each
    snapshot, so a single-file function imports it as it did from the folder."""
    folder = tmp_path / "functions"
    write(folder / "lib" / "__init__.py", "")
    write(folder / "lib" / "greeting.py", "TEXT = 'from lib'\n")
    write(folder / "hello.py", "from lib.greeting import TEXT\n\n"
                               "def handler(event, context):\n    return {'statusCode': 200, 'body': TEXT}\n")
    emu = make_emulator(functions_dir=folder)
    assert {f["name"] for f in emu.client.list()} == {"hello"}
    assert body_of(emu, "hello") == "from lib"
