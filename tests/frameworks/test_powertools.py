"""§5, §6 aws-lambda-powertools, used as its documentation shows, on the events a real fnemu sends:
its API Gateway resolvers route requests made to `/fn/`, and its event classes read every
trigger's event (http v1/v2, cron, s3_upload)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import wait_until

ROUTER = '''
from aws_lambda_powertools.event_handler import {resolver}, Response, content_types
from aws_lambda_powertools.shared.cookies import Cookie

app = {resolver}()


@app.get("/items/<item_id>")
def get_item(item_id):
    event = app.current_event
    return {{"id": item_id, "q": event.get_query_string_value("q"), "agent": event.headers.get("x-agent")}}


@app.post("/items")
def create_item():
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON,
                    body=json.dumps({{"created": app.current_event.json_body}}),
                    cookies=[Cookie(name="last", value="created", secure=False)])


@app.get("/cookies")
def cookies():
    return {{"cookies": {cookies}}}


def lambda_handler(event, context):
    return app.resolve(event, context)
'''

RESOLVERS = {
    # eventFormat: (resolver, how the request's cookies are read on that event)
    "v1": ("APIGatewayRestResolver", 'app.current_event.headers.get("cookie")'),
    "v2": ("APIGatewayHttpResolver", "app.current_event.cookies"),
}


def deploy_router(fnemu: Any, event_format: str) -> None:
    resolver, cookies = RESOLVERS[event_format]
    code = "import json\n" + ROUTER.format(resolver=resolver, cookies=cookies)
    fnemu.deploy("shop", code, eventFormat=event_format)


@pytest.fixture(params=sorted(RESOLVERS))
def router(request: pytest.FixtureRequest, fnemu: Any) -> str:
    """The event format of the deployed `shop` router, once per resolver."""
    event_format: str = request.param
    deploy_router(fnemu, event_format)
    return event_format


def test_path_parameter_query_and_header_reach_the_route(fnemu: Any, router: str) -> None:
    r = fnemu.call("shop", path="/items/42?q=red%20shoes", headers={"X-Agent": "probe"})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": "42", "q": "red shoes", "agent": "probe"}


def test_json_body_status_and_response_cookie(fnemu: Any, router: str) -> None:
    r = fnemu.call("shop", "POST", "/items", json={"name": "boot", "size": 44})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"created": {"name": "boot", "size": 44}}
    assert r.cookies["last"] == "created"


def test_request_cookies_reach_the_route(fnemu: Any, router: str) -> None:
    r = fnemu.call("shop", path="/cookies", headers={"Cookie": "sid=abc; theme=dark"})
    assert r.status_code == 200, r.text
    expected = "sid=abc; theme=dark" if router == "v1" else ["sid=abc", "theme=dark"]
    assert r.json() == {"cookies": expected}


def test_unknown_route_is_the_routers_own_404(fnemu: Any, router: str) -> None:
    r = fnemu.call("shop", path="/nowhere")
    assert r.status_code == 404
    assert r.json() == {"statusCode": 404, "message": "Not found"}


def test_root_path_and_method_mismatch_are_the_routers_to_answer(fnemu: Any, router: str) -> None:
    assert fnemu.call("shop").status_code == 404
    assert fnemu.call("shop", "DELETE", "/items/1").status_code == 404


EVENT_READER = '''
from aws_lambda_powertools.utilities.data_classes import {cls}


def lambda_handler(event, context):
    e = {cls}(event)
    print(json.dumps({fields}))
    return {{"statusCode": 200, "body": json.dumps({fields})}}
'''


def deploy_reader(fnemu: Any, name: str, cls: str, fields: str, **spec: Any) -> None:
    fnemu.deploy(name, "import json\n" + EVENT_READER.format(cls=cls, fields=fields), **spec)


def test_rest_event_class_reads_the_v1_event(fnemu: Any) -> None:
    deploy_reader(fnemu, "rest", "APIGatewayProxyEvent", '''{
        "path": e.path, "method": e.http_method, "query": e.query_string_parameters,
        "multi": e.multi_value_query_string_parameters, "header": e.headers.get("x-probe"),
        "body": e.json_body, "stage": e.request_context.stage, "ip": e.request_context.identity.source_ip,
        "claims": e.request_context.authorizer.claims, "params": e.path_parameters,
        "full": e.request_context.path, "b64": e.is_base64_encoded}''')
    r = fnemu.call("rest", "PUT", "/a/b?t=1&t=2", json={"k": 1}, headers={"X-Probe": "yes"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "path": "/a/b", "method": "PUT", "query": {"t": "2"}, "multi": {"t": ["1", "2"]}, "header": "yes",
        "body": {"k": 1}, "stage": fnemu.app_id, "ip": "127.0.0.1", "claims": {},
        "params": {"proxy": "a/b"}, "full": f"/v1/{fnemu.app_id}/fn/rest/a/b", "b64": False,
    }


def test_http_api_event_class_reads_the_v2_event(fnemu: Any) -> None:
    deploy_reader(fnemu, "http", "APIGatewayProxyEventV2", '''{
        "path": e.path, "raw": e.raw_path, "method": e.request_context.http.method,
        "query": e.query_string_parameters, "raw_query": e.raw_query_string, "cookies": e.cookies,
        "header": e.headers.get("X-Probe"), "body": e.json_body, "stage": e.request_context.stage,
        "ip": e.request_context.http.source_ip, "route": e.route_key}''', eventFormat="v2")
    r = fnemu.call("http", "POST", "/a/b?t=1&t=2", json={"k": 1},
                   headers={"X-Probe": "yes", "Cookie": "sid=abc; theme=dark"})
    assert r.status_code == 200, r.text
    assert r.json() == {
        "path": "/a/b", "raw": "/a/b", "method": "POST", "query": {"t": "1,2"}, "raw_query": "t=1&t=2",
        "cookies": ["sid=abc", "theme=dark"], "header": "yes", "body": {"k": 1}, "stage": "$default",
        "ip": "127.0.0.1", "route": "ANY /{proxy+}",
    }


def test_eventbridge_event_class_reads_the_cron_event(fnemu: Any) -> None:
    deploy_reader(fnemu, "tick", "EventBridgeEvent", '''{
        "detail_type": e.detail_type, "source": e.source, "time": e.time, "detail": e.detail,
        "region": e.region, "account": e.account, "resources": e.resources, "version": e.version}''',
                  triggers=[{"type": "cron", "config": {"schedule": "*/5 * * * *"}}])
    fired = fnemu.advance_clock(300)["fired"]
    assert [f["status_code"] for f in fired] == [200]
    (entry,) = fnemu.logs("tick")
    seen = json.loads(entry["consoleLogs"][0]["message"])
    assert seen["detail_type"] == "Scheduled Event" and seen["source"] == "aws.events"
    assert seen["time"] == fired[0]["scheduledTime"].replace(".000Z", "Z")
    assert seen["detail"] == {} and seen["version"] == "0"
    assert seen["resources"][0].startswith(f"arn:aws:events:{seen['region']}:{seen['account']}:rule/")


def test_s3_event_class_reads_the_s3_upload_event(fnemu: Any) -> None:
    deploy_reader(fnemu, "thumb", "S3Event", '''{
        "bucket": e.bucket_name, "key": e.object_key, "size": e.record.s3.get_object.size,
        "etag": e.record.s3.get_object.etag, "name": e.record.event_name, "source": e.record.event_source,
        "region": e.record.aws_region}''',
                  triggers=[{"type": "s3_upload", "config": {"bucket": "uploads"}}])
    s3 = fnemu.s3_client()
    s3.put_object(Bucket="uploads", Key="in/red cat.png", Body=b"meow")
    (entry,) = wait_until(lambda: fnemu.logs("thumb"), message="the s3_upload invocation")
    seen = json.loads(entry["consoleLogs"][0]["message"])
    etag = s3.head_object(Bucket="uploads", Key="in/red cat.png")["ETag"].strip('"')
    assert seen == {"bucket": "uploads", "key": "in/red cat.png", "size": 4, "etag": etag,
                    "name": "ObjectCreated:Put", "source": "aws:s3", "region": seen["region"]}
    assert seen["region"]
