"""§5, §6 every event fnemu builds has the shape of AWS's own sample of it (`tests/events/aws/`):
built directly for the request each sample describes, and as a real server sends it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from emulator.events.apigw import event_v1, event_v2
from emulator.events.request import HttpRequest
from emulator.events.s3 import CreatedObject, s3_event
from emulator.events.scheduled import scheduled_event
from tests.events.shapes import aws_sample, shape_differences
from tests.helpers import fixture_code, wait_until

NOW = 1_790_000_000.25

V1_MAPS = ("headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters",
           "pathParameters", "stageVariables")
V1_OPTIONAL = {
    "requestContext.identity.clientCert": "sent only when the API requires mutual TLS",
}
V2_MAPS = ("headers", "queryStringParameters", "pathParameters", "stageVariables")
V2_OPTIONAL = {
    "requestContext.authentication": "sent only when the API requires mutual TLS",
    "requestContext.authorizer": "sent only when an authorizer ran (a JWT authorizer in the sample)",
    "stageVariables": "sent only when the stage has variables; fnemu's have none",
}
V2_EXTRA = {"requestContext.path": "the full path, below which rawPath lies (CONTRACT §5)"}
S3_OPTIONAL = {"Records[].s3.object.versionId": "sent only for versioned buckets (tested apart)"}


def v1_differences(event: dict[str, Any]) -> list[str]:
    return shape_differences(event, aws_sample("apigw_v1"), maps=V1_MAPS, optional=V1_OPTIONAL)


def v2_differences(event: dict[str, Any]) -> list[str]:
    return shape_differences(event, aws_sample("apigw_v2"), maps=V2_MAPS, optional=V2_OPTIONAL,
                             extra=V2_EXTRA)


def test_the_comparison_catches_a_missing_key_a_wrong_type_and_null_against_a_value() -> None:
    sample = {"a": None, "b": {"c": 1}, "d": [{"e": "x"}], "h": {"X-Any": "v"}}
    assert shape_differences({"a": None, "b": {"c": 2}, "d": [{"e": "y"}], "h": {"Other": "w"}}, sample,
                             maps=("h",)) == []
    assert shape_differences({"a": "set", "b": {"c": "1"}, "d": [{}], "h": {"X": 1}, "z": 0}, sample,
                             maps=("h",)) == [
        "a: string where AWS has null",
        "b.c: string where AWS has number",
        "d[].e: absent where AWS has string",
        "h.X: number where AWS has string",
        "z: number where AWS has no such key",
    ]


V1_SAMPLE_REQUEST = HttpRequest(
    method="GET", path="/my/path", full_path="/v1/local/fn/shop/my/path",
    query=(("parameter1", "value1"), ("parameter1", "value2"), ("parameter2", "value")),
    raw_query="parameter1=value1&parameter1=value2&parameter2=value",
    headers=(("header1", "value1"), ("header2", "value1"), ("header2", "value2"), ("User-Agent", "user-agent")),
    body=b"Hello from Lambda!", source_ip="127.0.0.1", host="127.0.0.1:8787", resource="/my/path")
"""The request AWS's v1 sample describes."""
V2_SAMPLE_REQUEST = HttpRequest(
    method="POST", path="/my/path", full_path="/v1/local/fn/shop/my/path",
    query=(("parameter1", "value1"), ("parameter1", "value2"), ("parameter2", "value")),
    raw_query="parameter1=value1&parameter1=value2&parameter2=value",
    headers=(("Header1", "value1"), ("Header2", "value1"), ("Header2", "value2"),
             ("Cookie", "cookie1; cookie2"), ("User-Agent", "agent")),
    body=b"Hello from Lambda", source_ip="127.0.0.1", host="127.0.0.1:8787",
    resource="/my/{parameter1}", path_params={"parameter1": "path"})
"""The request AWS's v2 sample describes."""


def test_v1_event_for_the_samples_request_has_the_samples_shape() -> None:
    assert v1_differences(event_v1(V1_SAMPLE_REQUEST, request_id="r", app_id="local", now=NOW)) == []


def test_v2_event_for_the_samples_request_has_the_samples_shape() -> None:
    assert v2_differences(event_v2(V2_SAMPLE_REQUEST, request_id="r", app_id="local", now=NOW)) == []


def test_v2_stage_is_default_so_http_api_routers_keep_the_path() -> None:
    req = HttpRequest(method="GET", path="/a", full_path="/v1/app/fn/f/a", query=(), raw_query="",
                      headers=(), body=b"", source_ip="127.0.0.1", host="h")
    assert event_v2(req, request_id="r", app_id="app", now=NOW)["requestContext"]["stage"] == "$default"


def test_s3_event_has_the_samples_shape() -> None:
    created = CreatedObject(event_name="ObjectCreated:Put", bucket="b", key="k", size=1, etag="e",
                            content_type="text/plain", version_id="v1", region="us-east-1",
                            source_ip="127.0.0.1", request_id="r", host_id="h")
    event = s3_event(created, event_time=NOW, sequencer="00", configuration_id="c", principal_id="p")
    assert shape_differences(event, aws_sample("s3_put")) == []


def test_scheduled_event_has_the_samples_shape() -> None:
    event = scheduled_event(app_id="local", name="tick", scheduled=NOW, region="us-east-1")
    assert shape_differences(event, aws_sample("scheduled")) == []


@pytest.mark.parametrize("event_format", ["v1", "v2"])
def test_http_event_a_server_sends_has_the_samples_shape(fnemu: Any, event_format: str) -> None:
    path = "/my/path" if event_format == "v1" else "/my/{parameter1}"
    fnemu.deploy("echo", fixture_code("python/echo_event.py"), eventFormat=event_format,
                 triggers=[{"type": "http", "config": {"path": path}}])
    r = fnemu.http.post(
        f"/v1/{fnemu.app_id}/fn/echo/my/path?parameter1=value1&parameter1=value2&parameter2=value",
        content=b"Hello from Lambda!",
        headers=[("Authorization", f"Bearer {fnemu.token}"), ("Header2", "value1"), ("Header2", "value2"),
                 ("Cookie", "cookie1=1; cookie2=2")])
    assert r.status_code == 200, r.text
    event = r.json()["event"]
    assert (v1_differences if event_format == "v1" else v2_differences)(event) == []


EVENT_PRINTER = "import json\n\ndef handler(event, context):\n    print(json.dumps(event))\n    return event\n"


def test_cron_event_a_server_sends_has_the_samples_shape(fnemu: Any) -> None:
    fnemu.deploy("tick", EVENT_PRINTER, triggers=[{"type": "cron", "config": {"schedule": "0 * * * *"}}])
    envelope = fnemu.fire_cron("tick")
    assert envelope["status_code"] == 200, envelope
    assert shape_differences(json.loads(envelope["body"]), aws_sample("scheduled")) == []


def test_s3_event_a_server_sends_has_the_samples_shape(fnemu: Any) -> None:
    fnemu.deploy("thumb", EVENT_PRINTER, triggers=[{"type": "s3_upload", "config": {"bucket": "uploads"}}])
    fnemu.s3_client().put_object(Bucket="uploads", Key="in/cat.png", Body=b"meow")
    (entry,) = wait_until(lambda: fnemu.logs("thumb"), message="the s3_upload invocation")
    event = json.loads(entry["consoleLogs"][0]["message"])
    assert shape_differences(event, aws_sample("s3_put"), optional=S3_OPTIONAL) == []
