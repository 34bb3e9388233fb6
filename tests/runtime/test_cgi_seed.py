"""Seed 001's handler as a CGI script, with the seed's own SDK (signalwire-sdk): `agent.run()`
detects CGI mode, checks basic auth from the envVars' credentials, answers its SWML document and
runs its tool when called as the SWML tells the platform to.

A CGI script runs once per request, so the secret that signs the tool's per-call token must be the
same in every run: the SDK reads it from SIGNALWIRE_SWAIG_SECRET, one of the envVars."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.helpers import fixture_code

ENV = {"SWML_BASIC_AUTH_USER": "agent", "SWML_BASIC_AUTH_PASSWORD": "s3cret",
       "SIGNALWIRE_SWAIG_SECRET": "a-secret-every-run-shares"}
BASIC = "Basic " + base64.b64encode(b"agent:s3cret").decode()


def _deploy(fnemu: Any, env: dict[str, str] = ENV) -> None:
    fnemu.deploy("agent", fixture_code("seed_001/cgi_agent.py"), runtime="cgi", language="python", envVars=env,
                 triggers=[{"type": "http", "config": {"auth": "none"}}])


def test_the_agent_answers_its_swml_document_and_runs_its_tool(fnemu: Any) -> None:
    _deploy(fnemu)
    fetch = {"call": {"call_id": "call-1"}}  # the platform's SWML fetch names its call
    r = fnemu.call("agent", "POST", "/", json=fetch, headers={"Authorization": BASIC}, auth=False)
    assert r.status_code == 200, fnemu.logs("agent")[0]
    assert r.headers["content-length"] == str(len(r.content))  # run() prints one byte past its own
    swml = r.json()
    ai = next(verb["ai"] for verb in swml["sections"]["main"] if "ai" in verb)
    (tool,) = ai["SWAIG"]["functions"]
    assert tool["function"] == "say_hello"
    hook = urlsplit(tool["web_hook_url"])
    host = fnemu.url.removeprefix("http://")
    assert (hook.username, hook.password, hook.netloc.split("@")[1]) == ("agent", "s3cret", host)
    assert hook.path == "/v1/local/fn/agent/swaig/"  # SCRIPT_NAME is the function's URL

    call = {"function": "say_hello", "call_id": "call-1",
            "argument": {"parsed": [{"name": "Ada"}], "raw": '{"name": "Ada"}'}}
    url = f"{fnemu.url}{hook.path}?{hook.query}"
    answer = httpx.post(url, json=call, auth=(hook.username, hook.password), timeout=60)
    assert answer.status_code == 200
    assert answer.json()["response"] == "Hello, Ada!"
    entries = fnemu.logs("agent")
    assert [(e["method"], e["path"], e["status_code"]) for e in entries] == [
        ("POST", "/swaig/", 200), ("POST", "/", 200)]


def test_wrong_or_missing_credentials_get_the_agents_own_401(fnemu: Any) -> None:
    _deploy(fnemu)
    r = fnemu.call("agent", "GET", "/", auth=False)
    assert r.status_code == 401
    assert fnemu.call("agent", "GET", "/", headers={"Authorization": BASIC}, auth=False).json()["version"]
    assert r.headers["www-authenticate"] == 'Basic realm="SignalWire Agent"'
    wrong = "Basic " + base64.b64encode(b"agent:nope").decode()
    assert fnemu.call("agent", "GET", "/", headers={"Authorization": wrong}, auth=False).status_code == 401


def test_without_a_shared_secret_each_run_signs_with_its_own(fnemu: Any) -> None:
    """Once per request, by definition: the run that checks the tool's token is not the one that
    signed it, so without SIGNALWIRE_SWAIG_SECRET the SDK refuses the token (a warm handler
    would accept it)."""
    _deploy(fnemu, {k: v for k, v in ENV.items() if k != "SIGNALWIRE_SWAIG_SECRET"})
    swml = fnemu.call("agent", "POST", "/", json={"call": {"call_id": "call-1"}}, headers={"Authorization": BASIC},
                      auth=False).json()
    ai = next(verb["ai"] for verb in swml["sections"]["main"] if "ai" in verb)
    hook = urlsplit(ai["SWAIG"]["functions"][0]["web_hook_url"])
    call = {"function": "say_hello", "call_id": "call-1", "argument": {"parsed": [{}], "raw": "{}"}}
    answer = fnemu.call("agent", "POST", f"{hook.path.removeprefix('/v1/local/fn/agent')}?{hook.query}",
                        json=call, headers={"Authorization": BASIC}, auth=False)
    assert "token for this function is invalid" in answer.json()["response"]
