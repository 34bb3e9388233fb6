"""The README's walkthrough: every sample function answers as documented (what `make run` serves)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import wait_until

SAMPLES = str(Path(__file__).resolve().parent.parent / "sample_functions")

pytestmark = pytest.mark.fnemu(functions_dir=SAMPLES)


def test_every_sample_is_loaded(fnemu):
    names = {f["name"] for f in fnemu.client.list()}
    assert names == {"agent_action", "chat", "deliveries", "echo_v2", "greet", "hello", "hello-cgi", "hello-world",
                     "inventory", "lookup_account", "orders", "refund", "stock", "thumbnails", "tick"}


def test_tick_fires_every_minute_on_the_clock(fnemu):
    fired = fnemu.advance_clock(120)["fired"]
    assert [f["function"] for f in fired].count("tick") == 2
    assert fnemu.logs("tick")[0]["consoleLogs"][0]["message"].startswith("tick at ")


def test_deliveries_takes_a_signed_github_delivery(fnemu):
    r = fnemu.webhook_send("deliveries", source="github", payload={"zen": "hi"})
    assert r.status_code == 200 and r.json() == {"received": True}


def test_chat_echoes_each_websocket_frame(fnemu):
    with fnemu.websocket("chat") as ws:
        ws.send("hi")
        assert ws.receive() == "echo: hi"


def test_hello_is_public_and_greets_by_query(fnemu):
    r = fnemu.call("hello", path="/?name=Ada", auth=False)
    assert r.status_code == 200 and r.json()["message"] == "Hello, Ada!"
    assert fnemu.logs("hello")[0]["consoleLogs"][0]["message"] == "greeting Ada"


def test_orders_uses_its_path_template_env_and_logging(fnemu):
    assert fnemu.call("orders", path="/42", auth=False).status_code == 401
    assert fnemu.call("orders", path="/42").json() == {"id": "42", "store": "Corner Shop", "status": "shipped"}
    assert fnemu.call("orders", method="POST", path="/42").status_code == 405
    (entry,) = fnemu.logs("orders")  # the 401 and the 405 were answered before any code ran
    line = entry["consoleLogs"][0]
    assert (line["level"], line["message"]) == ("info", "looking up order 42")


def test_hello_cgi_is_a_shell_script_run_per_cgi(fnemu):
    r = fnemu.call("hello-cgi", method="POST", path="/some/path?x=1", content=b"hi", auth=False)
    assert r.text == ("POST /some/path below /v1/local/fn/hello-cgi, query 'x=1', via CGI/1.1\n"
                      "body: hi\n")
    assert fnemu.client.get("hello-cgi")["runtime"] == "cgi"
    line = fnemu.logs("hello-cgi")[0]["consoleLogs"][0]
    assert (line["level"], line["message"]) == ("error", "answered POST /some/path")


def test_echo_v2_returns_a_plain_dict_as_json(fnemu):
    r = fnemu.call("echo_v2", method="POST", path="/any/path?x=1", content=b"hi", auth=False)
    assert r.json() == {"method": "POST", "path": "/any/path", "query": {"x": "1"}, "body": "hi"}


def test_agent_action_runs_the_platform_default_code(fnemu):
    body = fnemu.call("agent_action", method="POST", json={"context": {"q": 1}}).json()
    assert body["context"] == {"q": 1} and body["message"].startswith("Go Agent.AI")


def test_hello_world_is_the_seed_web_example(fnemu):
    assert fnemu.call("hello-world").json() == {"message": "Hello!"}
    fn = fnemu.client.get("hello-world")
    assert fn["language"] == "node" and fn["runtime"] == "web"
    assert [t["type"] for t in fn["triggers"]] == ["http", "cron"]


def test_inventory_routes_by_path_in_node_lambda(fnemu):
    assert fnemu.call("inventory", path="/items/7").json() == {"id": 7, "name": "widget", "count": 12}
    assert fnemu.call("inventory", path="/items/9").status_code == 404
    levels = [line["level"] for line in fnemu.logs("inventory")[0]["consoleLogs"]]
    assert levels == ["info", "warn"]


def test_greet_is_a_google_cloud_function_seeing_the_path_below_its_url(fnemu):
    r = fnemu.call("greet", method="POST", path="/any/path", json={"name": "Ada"})
    assert r.json() == {"message": "Hello, Ada!", "path": "/any/path", "service": "greet"}
    assert fnemu.client.get("greet")["runtime"] == "gcf"
    assert fnemu.logs("greet")[0]["consoleLogs"][0]["message"] == "greeting Ada at /any/path"


def test_stock_is_an_azure_function_with_route_params_and_a_cron_check(fnemu):
    body = fnemu.call("stock", path="/widget").json()
    assert body["sku"] == "widget" and body["count"] == 12
    assert body["url"].endswith("/api/stock/widget")
    assert fnemu.call("stock", path="/nothing").status_code == 404
    assert fnemu.client.get("stock")["runtime"] == "azure"
    fired = fnemu.fire_cron("stock")
    assert json.loads(fired["body"]) == {"out_of_stock": ["gadget"]}
    (line,) = fnemu.logs("stock", limit=1)[0]["consoleLogs"]
    assert line["level"] == "warn" and line["message"].endswith("out of gadget")


def test_thumbnails_reads_each_upload_back_from_the_fake_s3(fnemu):
    fnemu.s3_client().put_object(Bucket="uploads", Key="in/cat.txt", Body=b"meow", ContentType="text/plain")
    fnemu.s3_client().put_object(Bucket="uploads", Key="elsewhere/dog.txt", Body=b"woof")
    (entry,) = wait_until(lambda: fnemu.logs("thumbnails"), timeout=30, message="the upload's invocation")
    assert entry["trigger"] == "s3_upload" and entry["status_code"] == 200
    printed = [line["message"] for line in entry["consoleLogs"] if line["level"] == "log"]
    assert printed == ["ObjectCreated:Put s3://uploads/in/cat.txt: 4 bytes, text/plain"]


def test_lookup_account_is_a_tool_end_users_may_call(fnemu):
    token = fnemu.user_token("alice")
    assert [t["name"] for t in fnemu.client.tools(token)] == ["lookup_account"]
    envelope = fnemu.call_tool("lookup_account", {"email": "ada@example.com"}, token=token)
    assert json.loads(envelope["body"]) == {"id": "acc_1", "plan": "pro", "status": "active"}
    assert envelope["consoleLogs"][0]["message"] == "lookup ada@example.com for alice"


def test_refund_runs_only_once_approved(fnemu):
    held = fnemu.call_tool("refund", {"account": "acc_1", "amount": 5})
    assert fnemu.logs("refund") == []
    envelope = fnemu.approve(held["approval_id"])
    assert json.loads(envelope["body"]) == {"refunded": 5, "account": "acc_1"}
