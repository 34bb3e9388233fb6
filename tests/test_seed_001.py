"""Seed 001: one agent handler under Lambda, Google Cloud Functions and Azure Functions. The
page's three examples, deployed verbatim with the SDK's basic-auth credentials in envVars, answer
their SWML document, run a SWAIG tool as SignalWire calls it, and `agent.run()` finds its platform
from the environment each style sets."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.helpers import fixture_code

USER, PASSWORD = "signalwire", "s3cret"
ENV = {"SWML_BASIC_AUTH_USER": USER, "SWML_BASIC_AUTH_PASSWORD": PASSWORD}
"""The SDK's basic-auth credentials (signalwire.core.security_config)."""
BASIC = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
PUBLIC = [{"type": "http", "config": {"auth": "none"}}]
"""SignalWire calls the agent with basic auth, not with an fnemu token."""

SEED = {style: fixture_code(f"seed_001/{style}_agent.py") for style in ("lambda", "gcf", "azure")}
AGENT = SEED["lambda"].split("def handler")[0]
"""The lambda example's agent and its tool, to put behind each platform's own entry point."""
ENTRY = {
    "lambda": ("def handler(event, context):\n"
               "    return agent.{call}(event, context{mode})\n"),
    "gcf": ("def main(request):\n"
            "    return agent.{call}(request{mode})\n"),
    "azure": ("import azure.functions as func\n\n"
              "def main(req: func.HttpRequest) -> func.HttpResponse:\n"
              "    return agent.{call}(req{mode})\n"),
}
MODE = {"lambda": "lambda", "gcf": "google_cloud_function", "azure": "azure_function"}
STYLES = list(SEED)


def _deploy(fnemu: Any, name: str, code: str, style: str) -> None:
    fn = fnemu.deploy(name, code, envVars=ENV, triggers=PUBLIC)
    assert fn["runtime"] == style  # detected: the examples say nothing of fnemu


def _swml(fnemu: Any, name: str, call_id: str = "call-1") -> dict[str, Any]:
    """The SWML document, fetched as SignalWire fetches it: a POST naming the call."""
    response = fnemu.call(name, "POST", "/", json={"call": {"call_id": call_id}}, headers=BASIC, auth=False)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = response.json()
    return document


def _ai(document: dict[str, Any]) -> dict[str, Any]:
    (ai,) = [verb["ai"] for verb in document["sections"]["main"] if "ai" in verb]
    return ai  # type: ignore[no-any-return]


def _call_tool(fnemu: Any, name: str, function: dict[str, Any], call_id: str = "call-1") -> Any:
    """A SWAIG function call: POST /swaig with the token the SWML handed out for this call."""
    token = parse_qs(urlsplit(function["web_hook_url"]).query)["__token"][0]
    body = {"function": function["function"], "call_id": call_id,
            "argument": {"parsed": [{}], "raw": "{}"}}
    response = fnemu.call(name, "POST", f"/swaig/?__token={token}", json=body, headers=BASIC, auth=False)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("style", STYLES)
def test_each_example_verbatim_answers_its_swml_document(fnemu: Any, style: str) -> None:
    _deploy(fnemu, "agent", SEED[style], style)
    ai = _ai(_swml(fnemu, "agent"))
    assert ai["prompt"]["text"] == "You are a helpful assistant."
    assert fnemu.logs("agent")[0]["error"] is None


@pytest.mark.parametrize("style", STYLES)
def test_without_the_basic_auth_credentials_the_agent_answers_401(fnemu: Any, style: str) -> None:
    _deploy(fnemu, "agent", SEED[style], style)
    response = fnemu.call("agent", "POST", "/", json={}, auth=False)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")


def test_the_lambda_example_runs_its_tool(fnemu: Any) -> None:
    _deploy(fnemu, "agent", SEED["lambda"], "lambda")
    (function,) = _ai(_swml(fnemu, "agent"))["SWAIG"]["functions"]
    assert function["function"] == "say_hello"
    assert _call_tool(fnemu, "agent", function) == {"response": "Hello!"}


@pytest.mark.parametrize("style", STYLES)
def test_the_agent_with_its_tool_runs_behind_each_platforms_entry_point(fnemu: Any, style: str) -> None:
    code = AGENT + ENTRY[style].format(call="handle_serverless_request", mode=f', mode="{MODE[style]}"')
    _deploy(fnemu, "agent", code, style)
    (function,) = _ai(_swml(fnemu, "agent", "call-7"))["SWAIG"]["functions"]
    assert _call_tool(fnemu, "agent", function, "call-7") == {"response": "Hello!"}


@pytest.mark.parametrize("style", STYLES)
def test_agent_run_detects_the_platform_from_the_environment(fnemu: Any, style: str) -> None:
    """Had it not, run() would have started a server of its own and the call would time out."""
    code = AGENT + ENTRY[style].format(call="run", mode="")
    fn = fnemu.deploy("agent", code, envVars=ENV, triggers=PUBLIC, timeoutMs=10_000)
    assert fn["runtime"] == style
    (function,) = _ai(_swml(fnemu, "agent"))["SWAIG"]["functions"]
    assert _call_tool(fnemu, "agent", function) == {"response": "Hello!"}
