"""§13 the event generator: every kind is read by aws-lambda-powertools' own classes, equals what a
live fnemu hands a function for the same input (ids and times aside), and `fnemu invoke --event`
sends one as its trigger would."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from aws_lambda_powertools.utilities import data_classes as dc
from aws_lambda_powertools.utilities.parser import models
from click.testing import CliRunner

from emulator.cli import cli
from emulator.events.kinds import KINDS, EventFields, arrival, generate, kind_of
from emulator.pytest_plugin import event
from emulator.triggers.signatures import verify
from tests.api.expect import api_error

ECHO = """import json
def handler(event, context):
    print(json.dumps(event))
    return {"statusCode": 201, "headers": {"X-Kind": "echo"}, "body": "ok"}
"""
_VARYING = {"requestId", "extendedRequestId", "requestTime", "requestTimeEpoch", "time", "timeEpoch", "id",
            "connectionId", "messageId", "connectedAt", "eventTime", "sequencer", "x-amz-request-id",
            "x-amz-id-2", "eTag", "userAgent", "X-GitHub-Delivery"}
"""What differs between two events of one input: ids, times, the object's ETag, the client's agent."""


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "*" if k in _VARYING else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _same(generated: dict[str, Any], live: dict[str, Any]) -> None:
    """Equal modulo ids and times; of the headers, those the generator was given (an HTTP client
    adds its own: Accept, User-Agent, Content-Length...)."""
    for key in ("headers", "multiValueHeaders"):
        if isinstance(live.get(key), dict):
            live[key] = {k: v for k, v in live[key].items() if k in generated[key]}
    assert _masked(generated) == _masked(live)


def _received(fnemu: Any, name: str) -> dict[str, Any]:
    (entry, *_) = fnemu.logs(name)
    return json.loads(entry["consoleLogs"][0]["message"])  # type: ignore[no-any-return]


# -- read by the real consumers


def test_each_kind_is_read_by_powertools_event_classes_and_models() -> None:
    rest = event("apigw", method="POST", path="/orders/7", query={"q": ["a", "b"]},
                 headers={"X-Agent": "t"}, body={"id": 7})
    parsed = models.APIGatewayProxyEventModel.model_validate(rest)
    assert (parsed.httpMethod, parsed.path, parsed.body) == ("POST", "/orders/7", '{"id":7}')
    proxy = dc.APIGatewayProxyEvent(rest)
    assert proxy.json_body == {"id": 7} and proxy.multi_value_query_string_parameters == {"q": ["a", "b"]}
    assert proxy.headers["X-Agent"] == "t" and proxy.request_context.stage == "local"

    http = event("apigw-v2", method="PUT", path="/x", query={"a": "1"}, headers={"Cookie": "s=1"}, body="hi")
    v2 = models.APIGatewayProxyEventV2Model.model_validate(http)
    assert (v2.requestContext.http.method, v2.rawPath, v2.cookies) == ("PUT", "/x", ["s=1"])
    assert dc.APIGatewayProxyEventV2(http).query_string_parameters == {"a": "1"}

    s3 = event("s3", bucket="uploads", key="a b/c+d.png", size=12)
    record = models.S3Model.model_validate(s3).Records[0]
    assert (record.s3.bucket.name, record.s3.object.size, record.eventName) == ("uploads", 12, "ObjectCreated:Put")
    assert dc.S3Event(s3).object_key == "a b/c+d.png"

    cron = event("cron", time="2026-03-01T09:00:00Z", function="nightly")
    bridge = models.EventBridgeModel.model_validate(cron)
    assert bridge.detail_type == "Scheduled Event" and bridge.time.isoformat() == "2026-03-01T09:00:00+00:00"
    assert dc.EventBridgeEvent(cron).resources[0].endswith(":rule/fnemu-local-nightly")

    frame = event("websocket", body="hello")
    message = models.APIGatewayWebSocketMessageEventModel.model_validate(frame)
    assert message.body == "hello" and message.request_context.route_key == "$default"
    assert dc.APIGatewayWebSocketEvent(frame).request_context.connection_id == message.request_context.connection_id

    hook = event("webhook", source="github", secret="s3cr3t")
    delivery = dc.APIGatewayProxyEvent(hook)
    assert delivery.http_method == "POST" and delivery.headers["X-GitHub-Event"] == "ping"
    assert verify(("github",), "s3cr3t", {k.lower(): v for k, v in delivery.headers.items()},
                  delivery.body.encode(), now=0) == "github"
    models.APIGatewayProxyEventModel.model_validate(hook)


def test_kind_of_tells_every_kind_apart() -> None:
    for kind in KINDS:
        assert kind_of(generate(kind, EventFields())) == ("apigw" if kind == "webhook" else kind)
    assert kind_of({"hello": 1}) is None


@pytest.mark.parametrize(("kind", "v2"), [("apigw", False), ("apigw-v2", True)])
def test_an_http_event_read_back_is_the_same_event(kind: str, v2: bool) -> None:
    """`arrival` is the inverse of the generator: the request an event stands for makes it again."""
    from emulator.events.apigw import event_v1, event_v2

    fields = EventFields(method="PATCH", path="/a/b", query=(("k", "1"), ("k", "2")),
                         headers=(("Cookie", "a=1; b=2"), ("Content-Type", "application/octet-stream")),
                         body=b"\xff\x00")
    made = generate(kind, fields)
    came = arrival(made, host=fields.host, full_path="/v1/local/fn/hello")
    assert came.event is None
    again = (event_v2 if v2 else event_v1)(came.request, request_id="r", app_id="local", now=0)
    assert _masked(again) == _masked(made)


def test_something_else_is_a_400_naming_event() -> None:
    from emulator.errors import BadRequest

    for bad in ({"hello": 1}, [1], {"httpMethod": "GET"}):
        with pytest.raises(BadRequest) as caught:
            arrival(bad, host="h", full_path="/v1/local/fn/x")
        assert caught.value.field == "event"


def test_unknown_field_is_a_type_error_naming_it() -> None:
    with pytest.raises(TypeError, match="buckett"):
        event("s3", buckett="x")


# -- the same as a live fnemu sends


@pytest.mark.parametrize("v2", [False, True])
def test_http_events_equal_what_the_function_receives(fnemu: Any, v2: bool) -> None:
    fnemu.deploy("echo", ECHO, eventFormat="v2" if v2 else "v1", triggers=[{"type": "http", "config": {"auth": "none"}}])
    headers = {"X-Agent": "test", "Content-Type": "application/json"}
    r = httpx.post(f"{fnemu.url}/v1/local/fn/echo/orders/7", headers=headers, params={"q": "1"},
                   content=b'{"id": 7}')  # a client of its own: no cookies left by other tests
    assert r.status_code == 201
    generated = fnemu.event("apigw-v2" if v2 else "apigw", method="POST", path="/orders/7", query={"q": "1"},
                            headers=headers, body='{"id": 7}', function="echo")
    _same(generated, _received(fnemu, "echo"))


def test_s3_event_equals_what_the_function_receives(fnemu: Any) -> None:
    fnemu.deploy("thumb", ECHO, triggers=[{"type": "s3_upload", "config": {"bucket": "uploads"}}])
    fnemu.s3_client().put_object(Bucket="uploads", Key="photos/a b.png", Body=b"12345", ContentType="image/png")
    from tests.helpers import wait_until

    wait_until(lambda: fnemu.logs("thumb"), message="the s3 event")
    generated = fnemu.event("s3", bucket="uploads", key="photos/a b.png", size=5, content_type="image/png",
                            function="thumb")
    _same(generated, _received(fnemu, "thumb"))


def test_cron_event_equals_what_the_function_receives(fnemu: Any) -> None:
    fnemu.deploy("tick", ECHO, triggers=[{"type": "cron", "config": {"schedule": "*/5 * * * *"}}])
    fnemu.fire_cron("tick")
    live = _received(fnemu, "tick")
    generated = fnemu.event("cron", time=live["time"], function="tick")
    assert generated["time"] == live["time"]
    _same(generated, live)


def test_websocket_event_equals_what_the_function_receives(fnemu: Any) -> None:
    code = "import json\ndef handler(event, context):\n    print(json.dumps(event))\n"
    fnemu.deploy("chat", code, triggers=[{"type": "websocket", "config": {"auth": "none"}}])
    with fnemu.websocket("chat", auth=False) as ws:
        ws.send("hello")
        from tests.helpers import wait_until

        wait_until(lambda: [e for e in fnemu.logs("chat") if "MESSAGE" in e["consoleLogs"][0]["message"]],
                   message="the frame's invocation")
    message = next(json.loads(e["consoleLogs"][0]["message"]) for e in fnemu.logs("chat")
                   if "MESSAGE" in e["consoleLogs"][0]["message"])
    _same(fnemu.event("websocket", body="hello", function="chat", headers={"User-Agent": "any"}), message)


def test_webhook_event_equals_what_the_function_receives(fnemu: Any) -> None:
    fn = fnemu.deploy("hook", ECHO, triggers=[{"type": "webhook", "config": {"allowed_sources": "github"}}])
    secret = fn["triggers"][0]["secret"]
    body = b'{"action": "opened"}'
    assert fnemu.webhook_send("hook", source="github", payload=body).status_code == 201
    live = _received(fnemu, "hook")
    assert list(live.pop("queryStringParameters")) == ["fnemu-signature"]
    live["multiValueQueryStringParameters"] = None
    generated = fnemu.event("webhook", source="github", secret=secret, body=body, function="hook")
    generated["queryStringParameters"] = live["queryStringParameters"] = None
    _same(generated, live)


# -- the CLI


def test_fnemu_event_prints_each_kind(tmp_path: Path) -> None:
    runner = CliRunner()
    for kind in KINDS:
        result = runner.invoke(cli, ["event", kind, "--body", "hi", "--header", "X-A: b", "--query", "q=1"])
        assert result.exit_code == 0, result.output
        assert kind_of(json.loads(result.output)) == ("apigw" if kind == "webhook" else kind)
    rest = json.loads(runner.invoke(cli, ["event", "apigw", "--method", "post", "--path", "/p", "--header",
                                          "X-A: b", "--query", "q=1", "--body", "hi"]).output)
    assert (rest["httpMethod"], rest["path"], rest["headers"]["X-A"], rest["queryStringParameters"],
            rest["body"]) == ("POST", "/p", "b", {"q": "1"}, "hi")
    s3 = json.loads(runner.invoke(cli, ["event", "s3", "--bucket", "b1", "--key", "k", "--size", "9"]).output)
    assert s3["Records"][0]["s3"]["object"] == {**s3["Records"][0]["s3"]["object"], "key": "k", "size": 9}
    cron = json.loads(runner.invoke(cli, ["event", "cron", "--time", "2026-01-01T09:00:00Z"]).output)
    assert cron["time"] == "2026-01-01T09:00:00Z"
    (tmp_path / "body.json").write_text('{"a": 1}')
    hook = json.loads(runner.invoke(cli, ["event", "webhook", "--source", "stripe", "--secret", "whsec_x",
                                          "--body", f"@{tmp_path / 'body.json'}"]).output)
    assert hook["body"] == '{"a": 1}' and hook["headers"]["Stripe-Signature"].startswith("t=")
    for args, hint in ((["apigw", "--header", "nocolon"], "--header"), (["apigw", "--query", "x"], "--query"),
                       (["cron", "--time", "soon"], "--time"), (["apigw", "--path", "x"], "--path")):
        result = runner.invoke(cli, ["event", *args])
        assert result.exit_code == 2 and hint in result.output and "Traceback" not in result.output


# -- sent through the invoke path


def _invoke_event(fnemu: Any, name: str, made: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(made))
    result = CliRunner().invoke(cli, ["invoke", name, "--event", str(path), "--json", "--url", fnemu.url])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_invoke_event_hands_a_lambda_handler_the_event(fnemu: Any, tmp_path: Path) -> None:
    fnemu.deploy("echo", ECHO)
    for kind in ("s3", "cron", "websocket"):
        made = fnemu.event(kind, function="echo")
        envelope = _invoke_event(fnemu, "echo", made, tmp_path)
        assert envelope["status_code"] == 200 and json.loads(envelope["body"])["statusCode"] == 201
        assert _received(fnemu, "echo") == made
    rest = fnemu.event("apigw", method="POST", path="/orders", body="hi", function="echo")
    envelope = _invoke_event(fnemu, "echo", rest, tmp_path)
    assert (envelope["status_code"], envelope["headers"]["X-Kind"], envelope["body"]) == (201, "echo", "ok")
    _same(rest, _received(fnemu, "echo"))
    assert fnemu.logs("echo")[0]["trigger"] == "invoke"


def test_invoke_event_hands_a_web_function_its_request(fnemu: Any, tmp_path: Path) -> None:
    code = ("export default async (req) => Response.json({method: req.method, url: req.url, "
            "trigger: req.headers.get('x-fnemu-trigger'), body: await req.text()});\n")
    fnemu.deploy("web", code, language="node")
    rest = _invoke_event(fnemu, "web", fnemu.event("apigw-v2", method="PUT", path="/x", query={"a": "1"},
                                                   body="hi"), tmp_path)
    seen = json.loads(rest["body"])
    assert (seen["method"], seen["url"].split("/", 3)[3], seen["body"]) == ("PUT", "x?a=1", "hi")
    cron = fnemu.event("cron", function="web")
    seen = json.loads(_invoke_event(fnemu, "web", cron, tmp_path)["body"])
    assert (seen["method"], seen["trigger"], json.loads(seen["body"])) == ("POST", "cron", cron)


def test_invoke_event_refuses_what_is_not_an_event(fnemu: Any, tmp_path: Path) -> None:
    fnemu.deploy("echo", ECHO)
    api_error(fnemu.http.post("/v1/local/functions/echo/invoke", json={"event": {"x": 1}},
                              headers={"Authorization": f"Bearer {fnemu.token}"}), 400, "event")
    api_error(fnemu.http.post("/v1/local/functions/echo/invoke", json={"event": event("cron"), "path": "/"},
                              headers={"Authorization": f"Bearer {fnemu.token}"}), 400, "event")
    (tmp_path / "e.json").write_text("{}")
    result = CliRunner().invoke(cli, ["invoke", "echo", "--event", str(tmp_path / "e.json"), "--data", "{}",
                                      "--url", fnemu.url])
    assert result.exit_code == 2 and "--event" in result.output
