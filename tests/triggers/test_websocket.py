"""§6 websocket: upgrades at `/fn/`, one invocation per frame with replies in order, `$connect` and
`$disconnect`, the `@connections` API, limits and shutdown; real clients, servers and workers."""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import time
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.api.expect import api_error
from tests.helpers import fixture_code, wait_until
from tests.runtime.conftest import fnemu_process  # noqa: F401 - the fixture, for the shutdown test

WS = [{"type": "websocket"}]
CHAT = fixture_code("python/ws_chat.py")


def deploy_chat(fnemu: Any, name: str = "chat", **fields: Any) -> dict[str, Any]:
    fields.setdefault("triggers", WS)
    result: dict[str, Any] = fnemu.deploy(name, fields.pop("code", CHAT), **fields)
    return result


def events(fnemu: Any, name: str) -> list[dict[str, Any]]:
    """The events the function printed, oldest first."""
    return [json.loads(entry["consoleLogs"][0]["message"]) for entry in reversed(fnemu.logs(name))
            if entry["consoleLogs"]]


def control(fnemu: Any, method: str, path: str, headers: dict[str, str] | None = None,
            **kwargs: Any) -> httpx.Response:
    response: httpx.Response = fnemu.http.request(
        method, path, headers={"Authorization": f"Bearer {fnemu.token}", **(headers or {})}, **kwargs)
    return response


# --- deploy ---------------------------------------------------------------------------------------

def test_config_is_echoed_with_auth_required_by_default_and_the_url(fnemu: Any) -> None:
    url = f"ws{fnemu.url.removeprefix('http')}/v1/{fnemu.app_id}/fn/chat"
    assert deploy_chat(fnemu)["triggers"] == [{"type": "websocket", "config": {"auth": "required"}, "url": url}]
    fn = deploy_chat(fnemu, triggers=[{"type": "websocket", "config": {"auth": "none"}}, {"type": "http"}])
    assert fn["triggers"][0] == {"type": "websocket", "config": {"auth": "none"}, "url": url}
    with connect(url, legacy=True) as ws:  # the URL as shown
        ws.send("hi")
        assert ws.recv(timeout=30) == "hi"


@pytest.mark.parametrize(("config", "field"), [
    ({"auth": "maybe"}, "triggers[0].config.auth"),
    ({"route": "$default"}, "triggers[0].config.route"),
])
def test_bad_config_is_400_naming_the_field(fnemu: Any, config: dict[str, Any], field: str) -> None:
    r = control(fnemu, "POST", f"/v1/{fnemu.app_id}/functions",
                json={"name": "chat", "code": CHAT, "triggers": [{"type": "websocket", "config": config}]})
    api_error(r, 400, field)


# --- frames and replies ---------------------------------------------------------------------------

def test_each_text_frame_is_one_invocation_answered_on_the_socket(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with fnemu.websocket("chat") as ws:
        ws.send("hello")
        assert ws.receive() == "hello"
        ws.send("plain")
        assert json.loads(ws.receive()) == {"route": "$default", "eventType": "MESSAGE"}
        ws.send("silent")  # no body: no frame; the next reply is the next frame's
        ws.send("after")
        assert ws.receive() == "after"
    entries = wait_until(lambda: len(fnemu.logs("chat")) == 6 and fnemu.logs("chat"), message="six entries")
    assert {e["trigger"] for e in entries} == {"websocket"}
    assert [e["requestContext"]["eventType"] for e in events(fnemu, "chat")] == [
        "CONNECT", "MESSAGE", "MESSAGE", "MESSAGE", "MESSAGE", "DISCONNECT"]


def test_binary_frames_arrive_base64_and_go_back_binary(fnemu: Any) -> None:
    deploy_chat(fnemu)
    data = bytes(range(256))
    with fnemu.websocket("chat") as ws:
        ws.send(data)
        assert ws.receive() == data
    message = events(fnemu, "chat")[1]
    assert message["isBase64Encoded"] is True
    assert base64.b64decode(message["body"]) == data


def test_replies_keep_the_frames_order_while_frames_run_on_several_workers(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with fnemu.websocket("chat") as ws:
        ws.send("sleep 1.5")
        ws.send("fast")
        assert [ws.receive(), ws.receive()] == ["sleep 1.5", "fast"]
    bodies = [e["body"] for e in events(fnemu, "chat") if e["requestContext"]["eventType"] == "MESSAGE"]
    assert bodies == ["fast", "sleep 1.5"], "the fast frame finished first: the frames ran at once"


def test_a_failing_frame_sends_an_error_frame_and_the_socket_stays_open(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with fnemu.websocket("chat") as ws:
        ws.send("boom")
        error = ws.receive_json()
        ws.send("still here")
        assert ws.receive() == "still here"
    assert error == {"error": {"code": "function_error", "message": error["error"]["message"], "field": None},
                     "status": 500, "id": error["id"]}
    (entry,) = [e for e in fnemu.logs("chat") if e["id"] == error["id"]]
    assert entry["status_code"] == 500 and "boom on a frame" in entry["error"]
    assert "boom on a frame" not in error["error"]["message"]


def test_a_frame_over_the_size_limit_closes_with_1009(make_emulator: Any) -> None:
    emulator = make_emulator(max_body_bytes=4096)
    deploy_chat(emulator)
    with emulator.websocket("chat") as ws:
        ws.send("x" * 4096)
        assert ws.receive() == "x" * 4096
        ws.send("x" * 4097)
        with pytest.raises(ConnectionClosed):
            ws.receive()
        assert ws.close_code == 1009
    disconnect = wait_until(lambda: [e for e in events(emulator, "chat")
                                     if e["requestContext"]["eventType"] == "DISCONNECT"], message="$disconnect")
    assert disconnect[0]["requestContext"]["disconnectStatusCode"] == 1009


# --- $connect and $disconnect ---------------------------------------------------------------------

def test_connect_and_disconnect_events_share_the_connection(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with fnemu.websocket("chat", path="/room?name=lobby", headers={"User-Agent": "test-client"}) as ws:
        ws.send("whoami")
        assert ws.receive() == ws.connection_id
        ws.close(4000)
    connect_, message, disconnect = wait_until(lambda: len(events(fnemu, "chat")) == 3 and events(fnemu, "chat"),
                                               message="three events")
    for event, route in ((connect_, "$connect"), (message, "$default"), (disconnect, "$disconnect")):
        assert event["requestContext"]["routeKey"] == route
        assert event["requestContext"]["connectionId"] == ws.connection_id
        assert event["requestContext"]["identity"]["userAgent"] == "test-client"
    assert connect_["queryStringParameters"] == {"name": "lobby"}
    assert connect_["headers"]["Authorization"] == f"Bearer {fnemu.token}"
    assert message["requestContext"]["messageId"]
    assert disconnect["requestContext"]["disconnectStatusCode"] == 4000
    assert {e["path"] for e in fnemu.logs("chat")} == {"/room"}


def test_a_connect_answered_non_2xx_refuses_the_upgrade_with_that_answer(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with pytest.raises(InvalidStatus) as refused:
        fnemu.websocket("chat", path="?refuse=1")
    assert refused.value.response.status_code == 403
    assert refused.value.response.body == b"not on this socket"
    assert [e["requestContext"]["routeKey"] for e in events(fnemu, "chat")] == ["$connect"]


def test_a_connect_that_raises_refuses_with_the_error_envelope(fnemu: Any) -> None:
    deploy_chat(fnemu, code="def handler(event, context):\n    raise ValueError('no')\n")
    with pytest.raises(InvalidStatus) as refused:
        fnemu.websocket("chat")
    assert refused.value.response.status_code == 500
    assert json.loads(refused.value.response.body)["error"]["code"] == "function_error"


# --- auth -----------------------------------------------------------------------------------------

def test_upgrade_without_a_token_is_401_before_any_code_runs(fnemu: Any) -> None:
    deploy_chat(fnemu)
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        with pytest.raises(InvalidStatus) as refused:
            fnemu.websocket("chat", auth=False, headers=headers)
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error"]["code"] == "unauthorized"
    assert fnemu.logs("chat") == []
    token = fnemu.user_token("alice")
    with fnemu.websocket("chat", auth=False, headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.send("hi")
        assert ws.receive() == "hi"


def test_auth_none_is_public(fnemu: Any) -> None:
    deploy_chat(fnemu, triggers=[{"type": "websocket", "config": {"auth": "none"}}])
    with fnemu.websocket("chat", auth=False) as ws:
        ws.send("hi")
        assert ws.receive() == "hi"


def test_a_function_without_a_websocket_trigger_takes_no_upgrade(fnemu: Any) -> None:
    deploy_chat(fnemu, triggers=[{"type": "cron", "config": {"schedule": "@daily"}}])
    with pytest.raises(InvalidStatus) as refused:
        fnemu.websocket("chat")
    assert refused.value.response.status_code == 404


# --- the @connections API -------------------------------------------------------------------------

def test_push_sends_a_frame_and_delete_closes_with_disconnect(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with fnemu.websocket("chat") as ws:
        path = f"/_emu/connections/{ws.connection_id}"
        r = control(fnemu, "POST", path, content=b"pushed", headers={"Content-Type": "text/plain"})
        assert r.status_code == 200, r.text
        assert r.json() == {"connectionId": ws.connection_id, "sent": 6}
        assert ws.receive() == "pushed"
        control(fnemu, "POST", path, content=b"\x00\xff", headers={"Content-Type": "application/octet-stream"})
        assert ws.receive() == b"\x00\xff"
        assert control(fnemu, "DELETE", path).json() == {"connectionId": ws.connection_id, "closed": True}
        with pytest.raises(ConnectionClosed):
            ws.receive()
        assert ws.close_code == 1000
    disconnect = wait_until(lambda: [e for e in events(fnemu, "chat")
                                     if e["requestContext"]["eventType"] == "DISCONNECT"], message="$disconnect")
    assert disconnect[0]["requestContext"]["disconnectStatusCode"] == 1000
    wait_until(lambda: control(fnemu, "POST", path, content=b"late").status_code == 410, message="410")
    api_error(control(fnemu, "DELETE", path), 410, "id")
    api_error(control(fnemu, "POST", "/_emu/connections/nobody", content=b"x"), 404, "id")


PUSHER = """import os
import urllib.request


def handler(event, context):
    ctx = event["requestContext"]
    if ctx["routeKey"] != "$default":
        return {"statusCode": 200}
    url = f"http://{ctx['domainName']}/_emu/connections/{ctx['connectionId']}"
    urllib.request.urlopen(urllib.request.Request(url, data=b"pushed first", headers={
        "Authorization": "Bearer " + os.environ["FNEMU_TOKEN"], "Content-Type": "text/plain"})).read()
    return {"statusCode": 200, "body": "then the reply"}
"""


def test_a_function_pushes_to_its_own_connection_while_it_runs(fnemu: Any) -> None:
    fnemu.deploy("chat", PUSHER, triggers=WS, envVars={"FNEMU_TOKEN": fnemu.token})
    with fnemu.websocket("chat") as ws:
        ws.send("go")
        assert [ws.receive(), ws.receive()] == ["pushed first", "then the reply"]


def test_the_connections_api_needs_the_developer_token(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with fnemu.websocket("chat") as ws:
        r = fnemu.http.post(f"/_emu/connections/{ws.connection_id}", content=b"x")
        assert r.status_code == 401
        r = fnemu.http.post(f"/_emu/connections/{ws.connection_id}", content=b"x",
                            headers={"Authorization": f"Bearer {fnemu.user_token('bob')}"})
        assert r.status_code == 403


def test_deleting_the_function_closes_its_sockets_with_1001(fnemu: Any) -> None:
    deploy_chat(fnemu)
    with fnemu.websocket("chat") as ws:
        control(fnemu, "DELETE", f"/v1/{fnemu.app_id}/functions/chat").raise_for_status()
        with pytest.raises(ConnectionClosed):
            ws.receive()
        assert ws.close_code == 1001


# --- handler styles -------------------------------------------------------------------------------

def test_node_lambda_gets_the_api_gateway_events(fnemu: Any) -> None:
    fnemu.deploy("chat", fixture_code("node/ws_lambda.mjs"), runtime="lambda", triggers=WS)
    with fnemu.websocket("chat") as ws:
        ws.send("whoami")
        assert ws.receive() == ws.connection_id
        ws.send(b"\x01\x02")
        assert ws.receive() == b"\x01\x02"
        ws.send("boom")
        assert ws.receive_json()["error"]["code"] == "function_error"
        ws.send("ok")
        assert ws.receive() == "ok"


def test_web_gets_a_post_with_the_frame_and_the_connection_headers(fnemu: Any) -> None:
    fnemu.deploy("chat", fixture_code("node/ws_web.mjs"), triggers=WS)
    with fnemu.websocket("chat") as ws:
        ws.send("héllo")
        assert ws.receive_json() == {"method": "POST", "trigger": "websocket", "connection": ws.connection_id,
                                     "contentType": "text/plain; charset=utf-8", "text": "héllo", "claims": None}
        ws.send(b"\x01\x02\x03")
        assert ws.receive() == b"\x03\x02\x01"
    lines = wait_until(lambda: len(fnemu.logs("chat")) == 4 and fnemu.logs("chat"), message="four entries")
    assert [e["consoleLogs"][0]["message"] for e in reversed(lines)] == [
        f"{kind} {ws.connection_id}" for kind in ("connect", "message", "message", "disconnect")]
    with pytest.raises(InvalidStatus) as refused:
        fnemu.websocket("chat", path="?refuse")
    assert refused.value.response.status_code == 401


def test_an_end_user_tokens_claims_reach_every_frame_and_a_forged_claims_header_does_not(fnemu: Any) -> None:
    fnemu.deploy("chat", fixture_code("node/ws_web.mjs"), triggers=WS)
    token = fnemu.user_token("alice", role="admin")
    forged = {"Authorization": f"Bearer {token}", "X-Fnemu-Claims": '{"role": "root"}'}
    with fnemu.websocket("chat", headers=forged) as ws:
        for frame in ("one", "two"):
            ws.send(frame)
            claims = ws.receive_json()["claims"]
            assert (claims["sub"], claims["role"], claims["iss"]) == ("alice", "admin", "fnemu")


GCF = """import flask

def main(request):
    if request.headers["X-Fnemu-Websocket-Event"] != "message":
        return "", 204
    return {"trigger": request.headers["X-Fnemu-Trigger"], "text": request.get_data(as_text=True),
            "connection": request.headers["X-Fnemu-Connection-Id"]}
"""
AZURE = """import json
import azure.functions as func

def main(req: func.HttpRequest) -> func.HttpResponse:
    if req.headers.get("x-fnemu-websocket-event") != "message":
        return func.HttpResponse(status_code=204)
    return func.HttpResponse(json.dumps({"trigger": req.headers.get("x-fnemu-trigger"),
                                         "text": req.get_body().decode(),
                                         "connection": req.headers.get("x-fnemu-connection-id")}))
"""


CGI = """import json
import os
import sys

if os.environ["HTTP_X_FNEMU_WEBSOCKET_EVENT"] != "message":
    print("Status: 204 No Content")
    print()
else:
    print("Content-Type: application/json")
    print()
    print(json.dumps({"trigger": os.environ["HTTP_X_FNEMU_TRIGGER"], "text": sys.stdin.read(),
                      "connection": os.environ["HTTP_X_FNEMU_CONNECTION_ID"]}))
"""


@pytest.mark.parametrize(("runtime", "code"), [("gcf", GCF), ("azure", AZURE), ("cgi", CGI)])
def test_gcf_azure_and_cgi_get_the_frame_as_a_post(fnemu: Any, runtime: str, code: str) -> None:
    fnemu.deploy("chat", code, runtime=runtime, language="python", triggers=WS)
    with fnemu.websocket("chat") as ws:
        ws.send("hi")
        assert ws.receive_json() == {"trigger": "websocket", "text": "hi", "connection": ws.connection_id}


# --- the plugin's client in async tests, and the server's life --------------------------------------

async def test_the_client_works_from_async_tests(fnemu: Any) -> None:
    deploy_chat(fnemu)
    async with fnemu.websocket("chat") as ws:
        await ws.asend("sleep 0.2")
        await ws.asend("two")
        assert [await ws.areceive(), await ws.areceive()] == ["sleep 0.2", "two"]
        await ws.asend("plain")
        assert (await ws.areceive_json())["eventType"] == "MESSAGE"


def test_reset_closes_every_socket(fnemu: Any) -> None:
    deploy_chat(fnemu)
    ws = fnemu.websocket("chat")
    fnemu.reset()
    with pytest.raises(ConnectionClosed):
        ws.receive()
    assert ws.close_code == 1001


def test_stopping_the_server_closes_open_sockets_at_once(
        fnemu_process: tuple[subprocess.Popen[str], httpx.Client]) -> None:  # noqa: F811
    proc, client = fnemu_process
    client.post("/v1/local/functions", json={"name": "chat", "code": CHAT, "triggers": WS}).raise_for_status()
    url = f"ws{str(client.base_url).removeprefix('http')}/v1/local/fn/chat"
    sockets = [connect(url, additional_headers={"Authorization": client.headers["Authorization"]}, legacy=True)
               for _ in range(3)]
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert time.monotonic() - started < 5
    for ws in sockets:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert {ws.close_code for ws in sockets} == {1001}


def raw_upgrade(emulator: Any) -> socket.socket:
    """A bare TCP client after its upgrade: it sends what it is told and never answers a ping."""
    host, port = emulator.url.removeprefix("http://").split(":")
    raw = socket.create_connection((host, int(port)), timeout=10)
    raw.sendall(f"GET /v1/{emulator.app_id}/fn/chat HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {emulator.token}\r\n\r\n".encode())
    assert raw.recv(4096).startswith(b"HTTP/1.1 101")
    return raw


def disconnects(emulator: Any) -> list[dict[str, Any]]:
    return wait_until(lambda: [e for e in events(emulator, "chat")
                               if e["requestContext"]["eventType"] == "DISCONNECT"], message="$disconnect")


def test_a_client_that_stops_answering_pings_is_closed_by_the_heartbeat(make_emulator: Any) -> None:
    emulator = make_emulator(websocket_heartbeat_s=0.4)
    deploy_chat(emulator)
    with raw_upgrade(emulator) as raw:
        while raw.recv(4096):  # pings, then the end
            pass
    assert disconnects(emulator)[0]["requestContext"]["disconnectStatusCode"] == 1006


def test_a_client_that_vanishes_before_its_reply_costs_nothing_but_itself(fnemu: Any) -> None:
    deploy_chat(fnemu)
    payload = b"sleep 0.3"
    mask = b"\x01\x02\x03\x04"
    with raw_upgrade(fnemu) as raw:  # one masked text frame, then the socket is gone
        raw.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
    assert disconnects(fnemu)[0]["requestContext"]["disconnectStatusCode"] == 1006
    message = [e for e in fnemu.logs("chat") if e["consoleLogs"] and '"MESSAGE"' in e["consoleLogs"][0]["message"]]
    assert [e["status_code"] for e in message] == [200]
    with fnemu.websocket("chat") as ws:
        ws.send("still serving")
        assert ws.receive() == "still serving"
