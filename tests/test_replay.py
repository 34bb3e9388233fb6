"""§13 replay: a logged invocation's request or event runs again against the current version, a
webhook delivery signed afresh; the new entry has `replay_of`; 409 when the body was not kept,
404 for an unknown entry; `fnemu replay`."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
from click.testing import CliRunner

from emulator.cli import cli
from emulator.logstore import KEPT_BODY_BYTES
from emulator.triggers.signatures import sign, verify
from tests.api.expect import api_error
from tests.helpers import wait_until

ECHO = """import json
def handler(event, context):
    print(json.dumps(event))
    return {"statusCode": 200, "body": "VERSION"}
"""


def echo(version: str) -> str:
    return ECHO.replace("VERSION", version)


def received(fnemu: Any, name: str) -> list[dict[str, Any]]:
    """The events the function printed, newest first."""
    return [json.loads(e["consoleLogs"][0]["message"]) for e in fnemu.logs(name)]


def replay(fnemu: Any, name: str, entry_id: str) -> httpx.Response:
    return fnemu.http.post(f"/v1/local/functions/{name}/logs/{entry_id}/replay",
                           headers={"Authorization": f"Bearer {fnemu.token}"})


def _without_ids(event: dict[str, Any]) -> dict[str, Any]:
    context = {k: v for k, v in event["requestContext"].items()
               if k not in ("requestId", "extendedRequestId", "requestTime", "requestTimeEpoch")}
    return {**event, "requestContext": context}


def test_replay_of_an_http_call_runs_the_same_request_on_the_current_version(fnemu: Any) -> None:
    fnemu.deploy("api", echo("v1"), triggers=[{"type": "http", "config": {"path": "/items/{id}"}}])
    r = fnemu.call("api", "POST", "/items/7", params={"q": "1"}, json={"n": 1}, headers={"X-A": "b"})
    assert r.text == "v1"
    (entry,) = fnemu.logs("api")
    fnemu.deploy("api", echo("v2"), triggers=[{"type": "http", "config": {"path": "/items/{id}"}}])
    again = replay(fnemu, "api", entry["id"])
    assert again.status_code == 200, again.text
    envelope = again.json()
    assert (envelope["status_code"], envelope["body"]) == (200, "v2"), "the current version runs it"
    second, first = received(fnemu, "api")
    assert _without_ids(second) == _without_ids(first)
    assert second["pathParameters"] == {"id": "7"} and second["headers"]["X-A"] == "b"
    newest = fnemu.logs("api")[0]
    assert (newest["id"], newest["trigger"], newest["replay_of"], newest["path"]) == (
        envelope["id"], "http", entry["id"], "/items/7")
    assert "replay_of" not in fnemu.logs("api")[1]


def test_replay_of_a_cron_fire_hands_the_same_event(fnemu: Any) -> None:
    fnemu.deploy("tick", echo("ok"), triggers=[{"type": "cron", "config": {"schedule": "0 * * * *"}}])
    fnemu.advance_clock(3600)
    (entry,) = fnemu.logs("tick")
    assert replay(fnemu, "tick", entry["id"]).json()["body"] == '{"statusCode":200,"body":"ok"}'
    second, first = received(fnemu, "tick")
    assert second == first and first["detail-type"] == "Scheduled Event"
    assert [(e["trigger"], e.get("replay_of")) for e in fnemu.logs("tick")] == [("cron", entry["id"]),
                                                                              ("cron", None)]


def test_replay_of_an_s3_event_hands_the_same_record(fnemu: Any) -> None:
    fnemu.deploy("thumb", echo("ok"), triggers=[{"type": "s3_upload", "config": {"bucket": "photos"}}])
    fnemu.s3_client().put_object(Bucket="photos", Key="cat.png", Body=b"meow")
    (entry,) = wait_until(lambda: fnemu.logs("thumb"), message="the upload's invocation")
    assert replay(fnemu, "thumb", entry["id"]).status_code == 200
    second, first = received(fnemu, "thumb")
    assert second == first and first["Records"][0]["s3"]["object"]["key"] == "cat.png"
    assert fnemu.logs("thumb")[0]["trigger"] == "s3_upload"


def test_replay_of_a_signed_webhook_is_signed_afresh(fnemu: Any) -> None:
    fn = fnemu.deploy("hook", echo("ok"), triggers=[{"type": "webhook", "config": {"allowed_sources": "slack"}}])
    trigger = fn["triggers"][0]
    body = b'{"type": "event_callback"}'
    signed_at = int(time.time()) - 250
    headers = {"Content-Type": "application/json", **sign("slack", trigger["secret"], body, timestamp=signed_at)}
    assert httpx.post(trigger["url"], content=body, headers=headers).status_code == 200
    (entry,) = fnemu.logs("hook")
    result = CliRunner().invoke(cli, ["replay", entry["id"], "--json", "--url", fnemu.url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["body"] == "ok"
    again, first = received(fnemu, "hook")
    assert again["body"] == first["body"] and again["queryStringParameters"] == first["queryStringParameters"]
    stamp = int(again["headers"]["X-Slack-Request-Timestamp"])
    assert stamp >= signed_at + 250
    lowered = {k.lower(): v for k, v in again["headers"].items()}
    assert verify(("slack",), trigger["secret"], lowered, again["body"].encode(), now=time.time() + 200) == "slack"
    newest = fnemu.logs("hook")[0]
    assert (newest["trigger"], newest["source"], newest["replay_of"]) == ("webhook", "slack", entry["id"])


def test_a_body_too_large_to_keep_is_a_409_that_says_so(fnemu: Any) -> None:
    fnemu.deploy("big", echo("ok").replace("print(json.dumps(event))", "pass"))
    assert fnemu.call("big", "POST", content=b"x" * (KEPT_BODY_BYTES + 1)).status_code == 200
    assert fnemu.call("big", "POST", content=b"x" * KEPT_BODY_BYTES).status_code == 200
    kept, big = fnemu.logs("big")
    r = replay(fnemu, "big", big["id"])
    api_error(r, 409, "id", "larger than 256 KiB", "not kept")
    assert replay(fnemu, "big", kept["id"]).status_code == 200, "a body of exactly the size is kept"


def test_a_webhook_entry_of_a_function_that_lost_its_webhook_is_a_409(fnemu: Any) -> None:
    fn = fnemu.deploy("hook", echo("ok"), triggers=[{"type": "webhook", "config": {}}])
    assert httpx.post(fn["triggers"][0]["url"], content=b"{}").status_code == 200
    (entry,) = fnemu.logs("hook")
    fnemu.deploy("hook", echo("ok"))
    api_error(replay(fnemu, "hook", entry["id"]), 409, "id", "no longer has a webhook trigger")


def test_unknown_entries_and_functions_are_404s(fnemu: Any) -> None:
    fnemu.deploy("a", echo("a"))
    fnemu.deploy("b", echo("b"))
    fnemu.invoke("a")
    (entry,) = fnemu.logs("a")
    api_error(replay(fnemu, "a", "nope"), 404, "id")
    api_error(replay(fnemu, "b", entry["id"]), 404, "id")
    api_error(replay(fnemu, "missing", entry["id"]), 404, "name")
    fnemu.client.delete("a")
    api_error(replay(fnemu, "a", entry["id"]), 404, "name")
    api_error(fnemu.http.post(f"/v1/local/functions/b/logs/{entry['id']}/replay"), 401, None)
    result = CliRunner().invoke(cli, ["replay", entry["id"], "--url", fnemu.url])
    assert result.exit_code == 1 and result.output.startswith("Error: HTTP 404")


def test_an_event_sent_with_test_invoke_replays_too(fnemu: Any) -> None:
    fnemu.deploy("echo", echo("ok"))
    made = fnemu.event("s3", function="echo")
    fnemu.invoke("echo", event=made)
    (entry,) = fnemu.logs("echo")
    assert replay(fnemu, "echo", entry["id"]).status_code == 200
    assert received(fnemu, "echo") == [made, made]
    assert fnemu.client.api("GET", f"/_emu/invocations/{entry['id']}")["app_id"] == "local"
