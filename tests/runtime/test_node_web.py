"""§5 the Node `web` style: a Web Request in, a Response out, on real `node` workers."""

from __future__ import annotations

import base64
import json

import pytest

from emulator.config import S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
from tests.helpers import fixture_code

SEED_002 = ("export default async function handler(req) {\n return new Response(JSON.stringify({ message: "
            "'Hello!' }), {\n headers: { 'Content-Type': 'application/json' }\n });\n}")


def test_seed_002_example_runs_verbatim(fnemu):
    fn = fnemu.deploy("hello-world", SEED_002, description="A simple greeting function",
                      envVars={"API_KEY": "secret123"}, timeoutMs=30000, memoryLimitMb=128)
    assert (fn["language"], fn["runtime"]) == ("node", "web")
    response = fnemu.call("hello-world")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"message": "Hello!"}


def test_smallest_memory_limit_leaves_room_for_a_web_function(fnemu):
    fnemu.deploy("small", SEED_002, memoryLimitMb=64)
    assert [fnemu.call("small").status_code for _ in range(3)] == [200, 200, 200]


def test_request_carries_method_path_below_prefix_query_headers_and_body(fnemu):
    fnemu.deploy("echo", fixture_code("node/web_echo.mjs"))
    response = fnemu.call("echo", "POST", "/items/42?tag=a&tag=b", content=b"payload",
                          headers={"X-Test": "yes", "X-Name": "café".encode(), "Content-Type": "text/plain"})
    seen = response.json()
    host = fnemu.url.removeprefix("http://")
    assert seen["method"] == "POST"
    assert seen["url"] == f"http://{host}/items/42?tag=a&tag=b"
    assert seen["headers"]["x-forwarded-prefix"] == "/v1/local/fn/echo"
    assert seen["headers"]["x-test"] == "yes"
    assert seen["headers"]["x-name"].encode("latin-1").decode() == "café"
    assert seen["headers"]["authorization"] == f"Bearer {fnemu.token}"
    assert base64.b64decode(seen["body"]) == b"payload"
    (entry,) = fnemu.logs("echo")
    assert entry["path"] == "/items/42"


def test_get_at_the_function_root_has_root_url_and_no_body(fnemu):
    fnemu.deploy("echo", fixture_code("node/web_echo.mjs"))
    seen = fnemu.call("echo").json()
    assert seen["method"] == "GET" and seen["body"] is None
    assert seen["url"].endswith(fnemu.url.removeprefix("http://") + "/")


def test_test_invoke_builds_the_request_it_describes(fnemu):
    fnemu.deploy("echo", fixture_code("node/web_echo.mjs"))
    envelope = fnemu.invoke("echo", method="PUT", path="/a/b", query={"q": "1"}, body={"k": "v"})
    assert envelope["status_code"] == 200
    seen = json.loads(envelope["body"])
    assert seen["method"] == "PUT"
    assert seen["url"].endswith("/a/b?q=1")
    assert seen["headers"]["x-forwarded-prefix"] == "/v1/local/fn/echo"
    assert base64.b64decode(seen["body"]) == b'{"k":"v"}'


def test_object_with_fetch_gets_env_and_wait_until_finishes_in_the_invocation(fnemu):
    code = """
export default {
  async fetch(req, env, ctx) {
    ctx.waitUntil(new Promise((resolve) => setTimeout(() => { console.log('after the response'); resolve(); }, 20)));
    ctx.waitUntil(Promise.reject(new Error('background failed')));
    return new Response(JSON.stringify({ env, fromProcess: process.env.GREETING }), { status: 201 });
  },
};
"""
    fnemu.deploy("fetcher", code, envVars={"GREETING": "hi", "OTHER": "x"})
    response = fnemu.call("fetcher")
    assert response.status_code == 201
    assert response.json() == {"env": {"GREETING": "hi", "OTHER": "x"}, "fromProcess": "hi"}
    (entry,) = fnemu.logs("fetcher")
    messages = [(line["level"], line["message"]) for line in entry["consoleLogs"]]
    assert ("log", "after the response") in messages
    assert any(level == "error" and "background failed" in text for level, text in messages)


def test_binary_request_and_response_bodies_are_byte_exact(fnemu):
    code = """
export default async function handler(req) {
  const bytes = new Uint8Array(await req.arrayBuffer()).reverse();
  return new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream' } });
}
"""
    fnemu.deploy("reverse", code)
    payload = bytes(range(256)) * 40 + b"\x00\xff\xfe"
    response = fnemu.call("reverse", "POST", content=payload,
                          headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == payload[::-1]


def test_status_repeated_headers_and_cookies_come_back(fnemu):
    code = """
export default async () => {
  const headers = new Headers([['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['X-Kind', 'teapot']]);
  return new Response('short and stout', { status: 418, headers });
};
"""
    fnemu.deploy("teapot", code, runtime="web")
    response = fnemu.call("teapot")
    assert response.status_code == 418
    assert response.text == "short and stout"
    assert response.headers["x-kind"] == "teapot"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


def test_web_workers_get_the_functions_env_and_only_the_aws_sdk_variables(fnemu):
    """No Lambda variables; the AWS SDK ones (§6 s3_upload) so an S3 client reaches the fake S3."""
    code = """
export default async () => Response.json(
  Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('AWS') || k.startsWith('FNEMU') || k === 'MINE')));
"""
    fnemu.deploy("envy", code, envVars={"MINE": "1"})
    config = fnemu.server.config
    assert fnemu.call("envy").json() == {
        "MINE": "1", "AWS_ENDPOINT_URL": config.s3_endpoint_url, "AWS_ACCESS_KEY_ID": S3_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": S3_SECRET_ACCESS_KEY, "AWS_REGION": config.region,
        "AWS_DEFAULT_REGION": config.region}


@pytest.mark.parametrize("value", ["{ ok: true }", "Response.error()"])
def test_returning_something_other_than_a_response_is_a_500_that_says_so(fnemu, value):
    fnemu.deploy("plain", f"export default async function handler() {{\n  return {value};\n}}\n")
    response = fnemu.call("plain")
    assert response.status_code == 500
    (entry,) = fnemu.logs("plain")
    assert "must return a Response" in entry["error"]


# Whatever a Response's body was made from, its bytes come back: the ones undici keeps beside the
# stream (a string, bytes) are taken as they are, the rest is read from the stream.
BODIES = {
    "string": ("new Response('héllo')", "héllo".encode()),
    "Response.json": ("Response.json({ a: [1, 'é'] })", b'{"a":[1,"\xc3\xa9"]}'),
    "Uint8Array view": ("new Response(new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4))", b"\x01\x02\x03"),
    "ArrayBuffer": ("new Response(new Uint8Array([0, 255]).buffer)", b"\x00\xff"),
    "URLSearchParams": ("new Response(new URLSearchParams({ q: 'a b' }))", b"q=a+b"),
    "Blob": ("new Response(new Blob(['bl', 'ob']))", b"blob"),
    "stream": ("new Response(new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('str'));"
               " c.enqueue(new TextEncoder().encode('eam')); c.close(); } }))", b"stream"),
    "clone": ("new Response('twice').clone()", b"twice"),
    "null": ("new Response(null, { status: 200 })", b""),
    "redirect": ("Response.redirect('http://example.com/', 302)", b""),
}


@pytest.mark.parametrize("kind", list(BODIES))
def test_every_kind_of_response_body_comes_back_byte_exact(fnemu, kind):
    source, expected = BODIES[kind]
    fnemu.deploy("body", f"export default async () => {source};\n")
    response = fnemu.call("body", follow_redirects=False)
    assert response.status_code in (200, 302)
    assert response.content == expected


def test_a_body_already_read_by_the_handler_is_an_error_not_a_stale_copy(fnemu):
    fnemu.deploy("used", "export default async () => {\n  const r = new Response('once');\n"
                         "  await r.text();\n  return r;\n};\n")
    assert fnemu.call("used").status_code == 500
    (entry,) = fnemu.logs("used")
    assert "TypeError" in entry["error"]


def test_a_request_body_of_many_reads_arrives_whole(fnemu):
    """The worker reads its pipe 64 KiB at a time: a bigger frame is joined from its parts."""
    code = """
export default async (req) => {
  const bytes = new Uint8Array(await req.arrayBuffer());
  let sum = 0;
  for (const b of bytes) sum = (sum * 31 + b) % 1000000007;
  return Response.json({ length: bytes.length, sum });
};
"""
    fnemu.deploy("big", code, memoryLimitMb=256)
    payload = bytes(range(251)) * 12_000  # ~3 MB, ~4 MB as base64 in the frame
    expected = 0
    for b in payload:
        expected = (expected * 31 + b) % 1000000007
    for _ in range(2):  # twice: the reader is back at a frame's start after a joined one
        response = fnemu.call("big", "POST", content=payload, headers={"Content-Type": "application/octet-stream"})
        assert response.json() == {"length": len(payload), "sum": expected}
