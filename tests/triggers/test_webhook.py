"""§6 webhook: the signed URL, each provider's signature over the raw body, 401 before any code
runs, the log entry's source, replay with a fresh signature; §11 `fnemu webhook`, §12 `webhook_send`."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from slack_sdk.signature import SignatureVerifier
from stripe import WebhookSignature

from emulator.cli import cli
from emulator.client import ClientError
from tests.api.expect import api_error
from tests.test_cli_start import start, stop
from tests.triggers.test_signatures import ODD, github_headers

ECHO = """import json
def handler(event, context):
    print(json.dumps({"headers": event["headers"], "body": event["body"], "b64": event["isBase64Encoded"],
                      "query": event["queryStringParameters"], "method": event["httpMethod"]}))
    return {"statusCode": 200, "body": "got it"}
"""
PROVIDERS = "github,stripe,slack"


def hook(fnemu: Any, name: str = "hook", **config: Any) -> dict[str, Any]:
    fn = fnemu.deploy(name, ECHO, triggers=[{"type": "webhook", "config": config}])
    (trigger,) = fn["triggers"]
    return trigger  # type: ignore[no-any-return]


def seen(fnemu: Any, name: str = "hook") -> list[dict[str, Any]]:
    """What the function printed of each request it got, oldest first."""
    return [json.loads(e["consoleLogs"][0]["message"]) for e in reversed(fnemu.logs(name))]


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(url, content=body, headers={"Content-Type": "application/json", **headers})


def test_function_object_shows_the_signed_url_and_the_secret(fnemu: Any) -> None:
    trigger = hook(fnemu, allowed_sources=PROVIDERS)
    assert trigger["config"] == {"secret_required": True, "allowed_sources": PROVIDERS}
    assert trigger["url"].startswith(f"{fnemu.url}/v1/local/fn/hook?fnemu-signature=")
    assert trigger["secret"].startswith("whsec_")
    assert fnemu.client.get("hook")["triggers"] == [trigger]
    plain = hook(fnemu, "plain")
    assert plain["config"] == {"secret_required": False} and "secret" not in plain
    assert hook(fnemu, secret_required=True)["config"] == {"secret_required": True, "allowed_sources": "generic"}
    again = hook(fnemu, allowed_sources=PROVIDERS)
    assert again["url"] == trigger["url"] and again["secret"] == trigger["secret"], "stable across redeploys"


@pytest.mark.parametrize(("config", "field", "rule"), [
    ({"allowed_sources": "github,paypal"}, "allowed_sources", "unknown source 'paypal'"),
    ({"allowed_sources": ""}, "allowed_sources", "comma-separated list"),
    ({"allowed_sources": ["github"]}, "allowed_sources", "comma-separated list"),
    ({"allowed_sources": "github", "secret_required": False}, "secret_required", "checked with the webhook's secret"),
    ({"secret_required": "yes"}, "secret_required", "true or false"),
    ({"secret": "mine"}, "secret", "unknown webhook trigger field"),
])
def test_bad_config_is_400_naming_the_field(fnemu: Any, config: dict[str, Any], field: str, rule: str) -> None:
    r = fnemu.http.post("/v1/local/functions", headers={"Authorization": f"Bearer {fnemu.token}"},
                        json={"name": "hook", "code": ECHO, "triggers": [{"type": "webhook", "config": config}]})
    api_error(r, 400, field=f"triggers[0].config.{field}")
    assert rule in r.json()["error"]["message"]


def test_each_provider_signed_by_its_own_library_reaches_the_function_unchanged(fnemu: Any) -> None:
    trigger = hook(fnemu, allowed_sources=PROVIDERS)
    url, secret, now = trigger["url"], trigger["secret"], int(time.time())
    stripe = WebhookSignature.generate_signature_header(ODD.decode(), secret, now)
    slack = SignatureVerifier(secret).generate_signature(timestamp=str(now), body=ODD)
    deliveries = [
        ("github", {**github_headers(ODD, secret), "X-GitHub-Event": "push"}),
        ("stripe", {"Stripe-Signature": stripe}),
        ("slack", {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": slack}),
    ]
    for _, headers in deliveries:
        r = post(url, ODD, headers)
        assert (r.status_code, r.text) == (200, "got it")
    entries = list(reversed(fnemu.logs("hook")))
    assert [(e["trigger"], e["source"]) for e in entries] == [("webhook", s) for s, _ in deliveries]
    for got, (_, headers) in zip(seen(fnemu), deliveries, strict=True):
        assert got["body"] == ODD.decode() and got["b64"] is False and got["method"] == "POST"
        for key, value in headers.items():
            assert got["headers"][key] == value


def test_refusals_are_401_before_any_code_runs(fnemu: Any) -> None:
    trigger = hook(fnemu, allowed_sources="github")
    url, secret = trigger["url"], trigger["secret"]
    base = url.split("?")[0]
    signed = github_headers(ODD, secret)
    now = int(time.time())
    refused = [
        post(base, ODD, signed),  # no URL signature
        post(base + "?fnemu-signature=" + "0" * 32, ODD, signed),  # a wrong one
        post(url, ODD, {}),  # not signed
        post(url, ODD + b"x", signed),  # tampered
        post(url, ODD, github_headers(ODD, secret + "x")),  # another secret
        post(url, ODD, {"Stripe-Signature": WebhookSignature.generate_signature_header(ODD.decode(), secret, now)}),
    ]
    for r in refused:
        api_error(r, 401, None)
    assert "accepts only github" in refused[-1].json()["error"]["message"]
    r = httpx.get(url)
    api_error(r, 405, None)
    assert r.headers["Allow"] == "POST"
    assert fnemu.logs("hook") == []


def test_stale_stripe_and_slack_deliveries_are_refused(fnemu: Any) -> None:
    trigger = hook(fnemu, allowed_sources="stripe,slack")
    url, secret, old = trigger["url"], trigger["secret"], int(time.time()) - 301
    stripe = WebhookSignature.generate_signature_header(ODD.decode(), secret, old)
    api_error(post(url, ODD, {"Stripe-Signature": stripe}), 401, None)
    slack = SignatureVerifier(secret).generate_signature(timestamp=str(old), body=ODD)
    api_error(post(url, ODD, {"X-Slack-Request-Timestamp": str(old), "X-Slack-Signature": slack}), 401, None)
    assert fnemu.logs("hook") == []


def test_moving_the_emulator_clock_does_not_stale_fresh_deliveries(fnemu: Any) -> None:
    """Providers stamp deliveries with their real clock: the window is measured on the wall clock."""
    hook(fnemu, allowed_sources="stripe,slack")
    fnemu.advance_clock(3 * 3600)
    assert fnemu.webhook_send("hook", source="stripe").status_code == 200
    assert fnemu.webhook_send("hook", source="slack").status_code == 200


def test_without_a_secret_the_url_signature_is_the_check(fnemu: Any) -> None:
    url = hook(fnemu)["url"]
    assert post(url, b"{}", {}).status_code == 200
    api_error(post(url.split("?")[0], b"{}", {}), 401, None)
    assert fnemu.webhook_send("hook", payload=b"raw").status_code == 200
    with pytest.raises(ClientError, match="has no secret"):
        fnemu.webhook_send("hook", source="github")
    assert [(e["trigger"], "source" in e) for e in fnemu.logs("hook")] == [("webhook", False)] * 2
    assert seen(fnemu)[1]["body"] == "raw"


def test_with_an_http_trigger_only_signed_urls_are_deliveries(fnemu: Any) -> None:
    fn = fnemu.deploy("both", ECHO, triggers=[{"type": "http", "config": {"auth": "none"}},
                                              {"type": "webhook", "config": {"secret_required": True}}])
    url, secret = fn["triggers"][1]["url"], fn["triggers"][1]["secret"]
    assert fnemu.call("both", auth=False).status_code == 200
    generic = {"X-Webhook-Signature": github_headers(ODD, secret)["X-Hub-Signature-256"]}
    assert post(url, ODD, generic).status_code == 200
    api_error(post(url, ODD, {}), 401, None)
    assert [(e["trigger"], e.get("source")) for e in reversed(fnemu.logs("both"))] == [
        ("http", None), ("webhook", "generic")]


def test_webhook_send_signs_as_each_provider(fnemu: Any) -> None:
    hook(fnemu, allowed_sources=PROVIDERS)
    for source in ("github", "stripe", "slack"):
        r = fnemu.webhook_send("hook", source=source, payload={"n": source})
        assert r.status_code == 200, r.text
    assert [e["source"] for e in reversed(fnemu.logs("hook"))] == ["github", "stripe", "slack"]
    assert [json.loads(s["body"]) for s in seen(fnemu)] == [{"n": "github"}, {"n": "stripe"}, {"n": "slack"}]
    api_error(fnemu.webhook_send("hook", source="generic"), 401, None)


def test_replay_resends_with_a_fresh_signature(fnemu: Any) -> None:
    trigger = hook(fnemu, allowed_sources="stripe")
    signed_at = int(time.time()) - 290  # inside the window now, long expired when replayed for real
    stripe = WebhookSignature.generate_signature_header(ODD.decode(), trigger["secret"], signed_at)
    assert post(trigger["url"] + "&x=1", ODD, {"Stripe-Signature": stripe}).status_code == 200
    (entry,) = fnemu.logs("hook")
    replayed = fnemu.client.replay(entry["id"])
    assert (replayed["status_code"], replayed["body"]) == (200, "got it")
    first, again = seen(fnemu)
    assert again["body"] == first["body"] == ODD.decode()
    assert again["query"] == first["query"] and again["query"]["x"] == "1"
    fresh = int(again["headers"]["Stripe-Signature"].split(",")[0][2:])
    assert fresh >= signed_at + 290
    assert [(e["source"], e.get("replay_of")) for e in fnemu.logs("hook")] == [("stripe", entry["id"]),
                                                                             ("stripe", None)]


def test_replay_refuses_a_delivery_whose_body_was_not_kept(fnemu: Any) -> None:
    url = hook(fnemu)["url"]
    assert post(url, b"x" * (300 * 1024), {}).status_code == 200
    (big,) = fnemu.logs("hook")
    auth = {"Authorization": f"Bearer {fnemu.token}"}
    r = fnemu.http.post(f"/v1/local/functions/hook/logs/{big['id']}/replay", headers=auth)
    api_error(r, 409, "id")
    assert "larger than 256 KiB" in r.json()["error"]["message"]


@pytest.fixture
def run_cli(fnemu: Any) -> Any:
    runner = CliRunner()

    def run(*args: str) -> Any:
        env = {"FNEMU_URL": fnemu.url, "FNEMU_TOKEN": fnemu.token}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return run


def test_cli_url_send_replay_and_list(fnemu: Any, run_cli: Any, tmp_path: Any) -> None:
    trigger = hook(fnemu, allowed_sources=PROVIDERS)
    shown = run_cli("webhook", "url", "hook")
    assert shown.exit_code == 0
    assert shown.output.splitlines() == [trigger["url"], f"secret: {trigger['secret']}", f"sources: {PROVIDERS}"]
    listed = run_cli("list")
    assert trigger["url"] in listed.output and trigger["secret"] in listed.output
    data = tmp_path / "push.json"
    data.write_bytes(ODD)
    sent = run_cli("webhook", "send", "hook", "--source", "github", "--data", str(data), "--event", "push")
    assert sent.exit_code == 0 and sent.output == "HTTP 200\ngot it\n"
    assert run_cli("webhook", "send", "hook", "--source", "slack", "--event", "message").exit_code == 0
    first, second = seen(fnemu)
    assert first["body"] == ODD.decode() and first["headers"]["X-GitHub-Event"] == "push"
    assert json.loads(second["body"])["event"]["type"] == "message"
    entry_id = fnemu.logs("hook")[0]["id"]
    replayed = run_cli("webhook", "replay", entry_id, "--json")
    assert replayed.exit_code == 0 and json.loads(replayed.output)["body"] == "got it"
    assert [e["source"] for e in fnemu.logs("hook")] == ["slack", "slack", "github"]
    refused = run_cli("webhook", "send", "hook", "--source", "generic")
    assert refused.exit_code == 1 and refused.output.startswith("HTTP 401")
    no_hook = run_cli("webhook", "url", "nothing")
    assert no_hook.exit_code == 1 and no_hook.output.startswith("Error: ")


def test_startup_table_shows_url_and_secret(tmp_path: Any) -> None:
    folder = tmp_path / "functions"
    folder.mkdir()
    (folder / "payments.py").write_text(ECHO)
    (folder / "payments.json").write_text(json.dumps(
        {"triggers": [{"type": "webhook", "config": {"allowed_sources": "stripe"}}]}))
    proc, url = start("--functions-dir", str(folder))
    try:
        trigger = httpx.get(f"{url}/v1/local/functions/payments",
                            headers={"Authorization": "Bearer fnemu-dev-token"}).json()["triggers"][0]
    finally:
        code, out = stop(proc)
    assert code == 0
    words = out.split()  # the URL below the base URL printed above, the secret beside it (the line may wrap)
    assert trigger["url"].startswith(url) and f"({trigger['url'].removeprefix(url)}" in words, out
    assert f"{trigger['secret']})" in words, out
