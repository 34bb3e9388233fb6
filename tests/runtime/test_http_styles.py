"""§5 what the gcf and azure styles share: a raw request in (every method, the path below the
prefix, the query, headers, bytes), the function's own response out, and the same fault isolation
as every worker (timeouts, crashes, memory limit, console capture), on real Flask and
azure-functions."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.helpers import fixture_code, wait_until

from .procs import gone

CODE = {"gcf": fixture_code("python/gcf_echo.py"), "azure": fixture_code("python/azure_echo.py")}
STYLES = list(CODE)


def _deploy(fnemu: Any, style: str, **fields: Any) -> None:
    fn = fnemu.deploy("fn", CODE[style], **fields)
    assert (fn["language"], fn["runtime"]) == ("python", style)  # detected from the code


def _seen_path(style: str, seen: dict[str, Any], host: str) -> str:
    """The path the function saw, from its own view of the URL."""
    if style == "gcf":
        return str(seen["path"])
    prefix = f"http://{host}/api/fn"
    assert seen["url"].startswith(prefix)
    return str(seen["url"][len(prefix):].split("?", 1)[0] or "/")


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_reaches_the_function(fnemu: Any, style: str, method: str) -> None:
    _deploy(fnemu, style)
    seen = fnemu.call("fn", method, "/x").json()
    assert seen["method"] == method


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("path", ["/", "/items/42", "/a%20b/c"])
def test_the_function_sees_the_path_below_its_prefix(fnemu: Any, style: str, path: str) -> None:
    _deploy(fnemu, style)
    seen = fnemu.call("fn", "GET", path).json()
    expected = path.replace("%20", " ") if style == "gcf" else path
    assert _seen_path(style, seen, fnemu.url.removeprefix("http://")) == expected
    assert fnemu.logs("fn")[0]["path"] == path.replace("%20", " ")


@pytest.mark.parametrize("style", STYLES)
def test_query_headers_and_json_body_arrive(fnemu: Any, style: str) -> None:
    _deploy(fnemu, style)
    seen = fnemu.call("fn", "POST", "/q?tag=a&tag=b&name=caf%C3%A9", json={"k": [1, 2]},
                      headers={"X-Test": "yes"}).json()
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers["x-test"] == "yes"
    assert headers["authorization"] == f"Bearer {fnemu.token}"
    assert headers["x-forwarded-prefix"] == "/v1/local/fn/fn"
    assert seen["json"] == {"k": [1, 2]}
    if style == "gcf":
        assert seen["args"] == {"tag": ["a", "b"], "name": ["café"]}
    else:
        assert seen["params"] == {"tag": "b", "name": "café"}  # Azure keeps one value per name


@pytest.mark.parametrize("style", STYLES)
def test_binary_bodies_are_byte_exact_both_ways(fnemu: Any, style: str) -> None:
    _deploy(fnemu, style)
    payload = bytes(range(256)) * 40 + b"\x00\xff\xfe"
    response = fnemu.call("fn", "POST", "/?do=reverse", content=payload,
                          headers={"Content-Type": "application/octet-stream"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.content == payload[::-1]
    seen = fnemu.call("fn", "PUT", "/", content=payload).json()
    assert base64.b64decode(seen["body"]) == payload


@pytest.mark.parametrize("style", STYLES)
def test_a_plain_string_is_a_200_text_response(fnemu: Any, style: str) -> None:
    _deploy(fnemu, style)
    response = fnemu.call("fn", "GET", "/?do=text")
    assert response.status_code == 200 and response.text == "plain text"
    assert response.headers["content-type"].startswith("text/")


@pytest.mark.parametrize("style", STYLES)
def test_a_raise_is_a_500_with_the_users_line_in_the_log(fnemu: Any, style: str) -> None:
    _deploy(fnemu, style)
    response = fnemu.call("fn", "GET", "/?do=raise")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "function_error"
    (entry,) = fnemu.logs("fn")
    file_name = {"gcf": "main.py", "azure": "__init__.py"}[style]  # the platform's own file name
    assert entry["error"].startswith(f"ValueError: boom from the handler ({file_name}, line")


@pytest.mark.parametrize("style", STYLES)
def test_a_worker_that_exits_is_a_502_and_the_next_call_gets_a_fresh_one(fnemu: Any, style: str) -> None:
    _deploy(fnemu, style)
    pid = fnemu.call("fn", "GET", "/?do=pid").json()["pid"]
    assert fnemu.call("fn", "GET", "/?do=exit").status_code == 502
    assert "exit" in fnemu.logs("fn", limit=1)[0]["error"]
    assert gone(pid)
    assert fnemu.call("fn", "GET", "/?do=pid").json()["pid"] != pid


@pytest.mark.parametrize("style", STYLES)
def test_past_the_timeout_is_a_504_and_the_next_call_works(fnemu: Any, style: str) -> None:
    _deploy(fnemu, style, timeoutMs=500)
    assert fnemu.call("fn", "GET", "/?do=sleep&seconds=30").status_code == 504
    assert fnemu.logs("fn", limit=1)[0]["error"] == "timed out after 500 ms"
    assert fnemu.call("fn", "GET", "/?do=pid").status_code == 200


@pytest.mark.parametrize("style", STYLES)
def test_the_memory_limit_leaves_the_function_its_room_and_stops_it_past_it(fnemu: Any, style: str) -> None:
    """The style's framework is the platform's, as on the platform: the limit is the function's."""
    _deploy(fnemu, style, memoryLimitMb=64)
    assert fnemu.call("fn", "GET", "/?do=alloc&mb=40").status_code == 200
    assert fnemu.logs("fn", limit=1)[0]["memory_mb"] > 40
    assert fnemu.call("fn", "GET", "/?do=alloc&mb=200").status_code == 500
    assert fnemu.logs("fn", limit=1)[0]["error"].startswith("memory limit exceeded (64 MB)")
    assert fnemu.call("fn", "GET", "/?do=pid").status_code == 200


@pytest.mark.parametrize("style", STYLES)
def test_console_output_is_captured_with_its_level(fnemu: Any, style: str) -> None:
    _deploy(fnemu, style)
    assert fnemu.call("fn", "GET", "/?do=console").status_code == 200
    lines = [(line["level"], line["message"]) for line in fnemu.logs("fn")[0]["consoleLogs"]]
    assert lines == [("log", "to stdout"), ("warn", "a warning"), ("error", "to stderr")]


@pytest.mark.parametrize("style", STYLES)
def test_a_cron_trigger_hands_the_event_as_a_post_naming_the_trigger(fnemu: Any, style: str) -> None:
    """§6: every non-HTTP trigger reaches these styles as a POST whose JSON body is the event."""
    _deploy(fnemu, style, triggers=[{"type": "cron", "config": {"schedule": "*/5 * * * *"}}])
    envelope = fnemu.fire_cron("fn")
    assert envelope["status_code"] == 200
    seen = json.loads(envelope["body"])
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert seen["method"] == "POST"
    assert headers["x-fnemu-trigger"] == "cron"
    assert seen["json"]["detail-type"] == "Scheduled Event"
    (entry,) = fnemu.logs("fn")
    assert (entry["trigger"], entry["method"], entry["path"]) == ("cron", "POST", "/")


RECORDER = {
    "gcf": "def main(request):\n"
           "    event = request.get_json()\n"
           "    print(request.method, request.headers['X-Fnemu-Trigger'], event['Records'][0]['s3']['object']['key'])\n"
           "    return 'ok'\n",
    "azure": "import azure.functions as func\n"
             "def main(req):\n"
             "    event = req.get_json()\n"
             "    print(req.method, req.headers['X-Fnemu-Trigger'], event['Records'][0]['s3']['object']['key'])\n"
             "    return 'ok'\n",
}


@pytest.mark.parametrize("style", STYLES)
def test_an_s3_upload_arrives_as_a_post_of_the_s3_event(fnemu: Any, style: str) -> None:
    fnemu.deploy("rec", RECORDER[style], triggers=[{"type": "s3_upload", "config": {"bucket": "uploads"}}])
    fnemu.s3_client().put_object(Bucket="uploads", Key="in/cat.txt", Body=b"meow")
    (entry,) = wait_until(lambda: fnemu.logs("rec"), timeout=20, message="the upload's invocation")
    assert (entry["trigger"], entry["status_code"]) == ("s3_upload", 200)
    assert [line["message"] for line in entry["consoleLogs"]] == ["POST s3_upload in/cat.txt"]
