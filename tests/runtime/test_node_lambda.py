"""§5 the Node `lambda` style, module systems and package resolution, console capture."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

RESPOND = "({ statusCode: 200, body: JSON.stringify({ path: event.path, form: FORM }) })"

EXPORT_FORMS = {
    "exports.handler": "exports.handler = async (event) => RESPOND;",
    "module.exports.handler": "module.exports.handler = async function (event, context) { return RESPOND; };",
    "module.exports = {handler}": "async function handler(event) { return RESPOND; }\nmodule.exports = { handler };",
    "export const handler": "export const handler = async (event) => RESPOND;",
    "export async function": "export async function handler(event, context) {\n  return RESPOND;\n}",
    "callback": "exports.handler = (event, context, callback) => {\n"
                "  setTimeout(() => callback(null, RESPOND), 5);\n};",
    "context.succeed": "exports.handler = (event, context) => { context.succeed(RESPOND); };",
    "context.done": "exports.handler = (event, context) => { context.done(null, RESPOND); };",
    "synchronous": "exports.handler = (event) => RESPOND;",
}


@pytest.mark.parametrize("form", EXPORT_FORMS)
def test_every_handler_export_form_answers(fnemu, form):
    code = EXPORT_FORMS[form].replace("RESPOND", RESPOND).replace("FORM", repr(form))
    fn = fnemu.deploy("lam", code)
    assert (fn["language"], fn["runtime"]) == ("node", "lambda")
    response = fnemu.call("lam", path="/a/b")
    assert response.status_code == 200, fnemu.logs("lam")[0]["error"]
    assert response.json() == {"path": "/a/b", "form": form}


def test_context_has_the_lambda_fields_and_remaining_time(fnemu):
    code = """
exports.handler = async (event, context) => {
  const { getRemainingTimeInMillis, done, succeed, fail, ...fields } = context;
  return { statusCode: 200, body: JSON.stringify({ ...fields, remaining: context.getRemainingTimeInMillis() }) };
};
"""
    fnemu.deploy("ctx", code, timeoutMs=5000, memoryLimitMb=256)
    seen = fnemu.call("ctx").json()
    (entry,) = fnemu.logs("ctx")
    assert seen.pop("awsRequestId") == entry["id"]
    assert 0 < seen.pop("remaining") <= 5000
    assert seen == {
        "functionName": "ctx",
        "functionVersion": "$LATEST",
        "invokedFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:ctx",
        "memoryLimitInMB": "256",
        "logGroupName": "/aws/lambda/ctx",
        "logStreamName": "fnemu/[$LATEST]local",
        "callbackWaitsForEmptyEventLoop": True,
    }


def test_v2_event_and_a_plain_return_value(fnemu):
    code = "export const handler = async (event) => ({ rawPath: event.rawPath, q: event.queryStringParameters });"
    fnemu.deploy("v2", code, eventFormat="v2")
    response = fnemu.call("v2", path="/x?q=1")
    assert response.json() == {"rawPath": "/x", "q": {"q": "1"}}


def test_lambda_workers_see_the_platform_env_and_nothing_of_the_emulators(fnemu, monkeypatch):
    monkeypatch.setenv("FNEMU_SHOULD_NOT_LEAK", "1")
    code = "exports.handler = async () => ({ statusCode: 200, body: JSON.stringify(process.env) });"
    fnemu.deploy("envy", code, envVars={"MINE": "yes"})
    env = fnemu.call("envy").json()
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "envy"
    assert env["_HANDLER"] == "index.handler"
    assert env["MINE"] == "yes"
    assert not [k for k in env if k.startswith("FNEMU")]


def test_commonjs_and_es_modules_each_load_as_such(fnemu):
    cjs = ("const os = require('node:os');\nexports.handler = async () => "
           "({ statusCode: 200, body: typeof os.cpus + ' ' + __filename.split('.').pop() });")
    esm = ("import os from 'node:os';\nexport const handler = async () => "
           "({ statusCode: 200, body: typeof os.cpus + ' ' + import.meta.url.split('.').pop() });")
    fnemu.deploy("cjs", cjs)
    fnemu.deploy("esm", esm)
    assert fnemu.call("cjs").text == "function cjs"
    assert fnemu.call("esm").text == "function mjs"


@pytest.mark.parametrize("fail", ["callback(new Error('no way'))", "context.fail(new Error('no way'))"])
def test_callback_error_is_a_500_with_the_message_in_the_log(fnemu, fail):
    fnemu.deploy("cb", f"exports.handler = (event, context, callback) => {fail};")
    assert fnemu.call("cb").status_code == 500
    assert fnemu.logs("cb")[0]["error"].startswith("Error: no way")


def test_console_levels_are_kept_across_awaits(fnemu):
    code = """
const tick = () => new Promise((resolve) => setTimeout(resolve, 2));
export const handler = async () => {
  console.log('one %d', 1, { two: 2 });
  await tick();
  console.info('info');
  await tick();
  console.warn('warn');
  await Promise.all([tick().then(() => console.error('error')), tick()]);
  console.debug('debug');
  process.stdout.write('raw line\\n');
  return { statusCode: 204 };
};
"""
    fnemu.deploy("chatty", code)
    assert fnemu.call("chatty").status_code == 204
    (entry,) = fnemu.logs("chatty")
    lines = [(line["level"], line["message"]) for line in entry["consoleLogs"]]
    assert lines == [("log", "one 1 { two: 2 }"), ("info", "info"), ("warn", "warn"), ("error", "error"),
                     ("debug", "debug"), ("log", "raw line")]


def test_nothing_of_the_function_runs_between_invocations(fnemu):
    """As the platform freezes it: after the event loop's one turn that follows each answer (what
    was due at once runs then, logged as the invocation that left it), a timer left behind fires
    only once the next invocation lets the event loop run, and its log line is that invocation's."""
    code = """
let ticks = 0;
export const handler = async (event) => {
  const seen = ticks;
  if (event.path === '/leave') {
    setTimeout(() => { ticks += 1; console.log('right after the answer'); }, 0);
    setTimeout(() => { ticks += 10; console.log('late tick'); }, 100);
  } else await new Promise((resolve) => setTimeout(resolve, 20));
  return { statusCode: 200, body: String(seen) };
};
"""
    fnemu.deploy("frozen", code)
    assert fnemu.call("frozen", path="/leave").text == "0"
    time.sleep(0.3)  # the second timer is due long before the next call; it must not have run
    assert fnemu.call("frozen").text == "1"
    assert fnemu.call("frozen").text == "11"
    first, second, third = reversed(fnemu.logs("frozen"))
    assert [line["message"] for line in first["consoleLogs"]] == ["right after the answer"]
    assert [line["message"] for line in second["consoleLogs"]] == ["late tick"]


def test_console_past_the_cap_is_truncated_and_marked(make_emulator):
    emu = make_emulator(console_cap_bytes=1000)
    emu.deploy("flood", "exports.handler = async () => {\n  for (let i = 0; i < 100; i++) console.log('x'.repeat(50));\n"
                        "  return { statusCode: 200, body: 'done' };\n};")
    response = emu.call("flood")
    assert response.status_code == 200 and response.text == "done"
    (entry,) = emu.logs("flood")
    messages = [line["message"] for line in entry["consoleLogs"]]
    assert sum(len(m) for m in messages[:-1]) <= 1000
    assert "truncated" in messages[-1]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_relative_imports_and_node_modules_beside_and_above_resolve(fnemu, tmp_path):
    """§10: a folder function resolves its own files and packages from its folder upward."""
    _write(tmp_path / "node_modules" / "above" / "package.json", '{"name": "above", "main": "index.js"}')
    _write(tmp_path / "node_modules" / "above" / "index.js", "module.exports = (s) => s.toUpperCase();")
    fn_dir = tmp_path / "shout"
    _write(fn_dir / "node_modules" / "beside" / "package.json",
           '{"name": "beside", "type": "module", "exports": "./main.js"}')
    _write(fn_dir / "node_modules" / "beside" / "main.js", "export const bang = (s) => s + '!';")
    _write(fn_dir / "words.mjs", "export const word = 'hello';")
    _write(fn_dir / "index.mjs", "import upper from 'above';\nimport { bang } from 'beside';\n"
                                 "import { word } from './words.mjs';\n"
                                 "export default async () => new Response(bang(upper(word)));\n")
    fnemu.deploy_dir(fn_dir)
    assert fnemu.call("shout").text == "HELLO!"


def test_commonjs_folder_function_requires_its_neighbours(fnemu, tmp_path):
    fn_dir = tmp_path / "greet"
    _write(fn_dir / "lib" / "names.js", "exports.who = () => 'world';")
    _write(fn_dir / "index.js", "const { who } = require('./lib/names');\n"
                                "exports.handler = async () => ({ statusCode: 200, body: `hi ${who()}` });\n")
    fnemu.deploy_dir(fn_dir)
    assert fnemu.call("greet").text == "hi world"
