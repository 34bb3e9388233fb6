"""`GET /_emu/events/{kind}`: ready events for the UI's invoke form, made by events/kinds.py (the
builder `fnemu event` prints with), and sent back through test-invoke as `{"event": ...}`."""

from __future__ import annotations

import json

from emulator.events.kinds import KINDS, kind_of
from emulator.pytest_plugin import Emulator

from .expect import api_error

ECHO = "def handler(event, context):\n    print('got', sorted(event))\n    return event\n"


def _get(emu: Emulator, kind: str, **query: str):  # type: ignore[no-untyped-def]
    return emu.http.get(f"/_emu/events/{kind}", params=query, headers={"Authorization": f"Bearer {emu.token}"})


def test_every_kind_is_served_and_read_back_as_its_kind(fnemu: Emulator) -> None:
    for kind in KINDS:
        r = _get(fnemu, kind)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["kind"] == kind
        assert kind_of(body["event"]) == ("apigw" if kind == "webhook" else kind)


def test_the_overview_lists_the_kinds(fnemu: Emulator) -> None:
    overview = fnemu.http.get("/_emu/overview", headers={"Authorization": f"Bearer {fnemu.token}"}).json()
    assert overview["event_kinds"] == list(KINDS)


def test_an_event_for_a_function_takes_its_triggers_and_runs_through_test_invoke(fnemu: Emulator) -> None:
    fnemu.deploy("pics", ECHO, triggers=[{"type": "s3_upload", "config": {"bucket": "photos", "prefix": "in/",
                                                                           "contentTypes": ["image/png"]}}])
    event = _get(fnemu, "s3", function="pics").json()["event"]
    record = event["Records"][0]
    assert record["s3"]["bucket"]["name"] == "photos"
    assert record["s3"]["object"]["key"].startswith("in/")
    assert record["s3"]["configurationId"] == "pics"
    event["Records"][0]["s3"]["object"]["key"] = "in/edited.png"  # the form lets it be edited
    envelope = fnemu.invoke("pics", event=event)
    assert envelope["status_code"] == 200
    assert json.loads(envelope["body"])["Records"][0]["s3"]["object"]["key"] == "in/edited.png"
    assert fnemu.logs("pics")[0]["trigger"] == "invoke"


def test_a_cron_event_is_at_the_emulator_clock_and_a_webhook_is_signed_with_the_functions_secret(
        make_emulator) -> None:  # type: ignore[no-untyped-def]
    emu = make_emulator(clock="frozen=2026-03-01T12:00:00Z")
    emu.deploy("hook", ECHO, triggers=[{"type": "webhook", "config": {"allowed_sources": "github"}}])
    assert _get(emu, "cron", function="hook").json()["event"]["time"] == "2026-03-01T12:00:00Z"
    event = _get(emu, "webhook", function="hook").json()["event"]
    assert event["headers"]["X-GitHub-Event"] and event["headers"]["X-Hub-Signature-256"].startswith("sha256=")
    assert event["requestContext"]["path"].endswith("/fn/hook")


def test_an_unknown_kind_or_function_is_404_naming_it(fnemu: Emulator) -> None:
    api_error(_get(fnemu, "sqs"), 404, "kind", "apigw")
    api_error(_get(fnemu, "s3", function="ghost"), 404, "function", "ghost")
    assert fnemu.http.get("/_emu/events/s3").status_code == 401
