"""§6 cron and §7 clock/cron control, against a real server and real workers."""

from __future__ import annotations

import json
import math
import threading
from typing import Any

import pytest

from emulator.clock import iso, parse_iso
from emulator.keys import CLOCK
from tests.api.expect import api_error
from tests.helpers import wait_until

EVENT = "import json\ndef handler(event, context):\n    print(json.dumps(event))\n    return event\n"
WEB = """export default async function handler(req) {
  const event = await req.json();
  return Response.json({method: req.method, trigger: req.headers.get('x-fnemu-trigger'), event});
}
"""
START = "2026-01-01T00:00:00Z"


def cron(schedule: str, timezone: str | None = None) -> list[dict[str, Any]]:
    config = {"schedule": schedule} if timezone is None else {"schedule": schedule, "timezone": timezone}
    return [{"type": "cron", "config": config}]


def control(fnemu: Any, method: str, path: str, **kwargs: Any) -> Any:
    r = fnemu.http.request(method, path, headers={"Authorization": f"Bearer {fnemu.token}"}, **kwargs)
    assert r.status_code == 200, r.text
    return r.json()


def set_clock(fnemu: Any, when: str) -> dict[str, Any]:
    result: dict[str, Any] = control(fnemu, "POST", "/_emu/clock/set", json={"time": when})
    return result


def deploy_body(name: str, triggers: Any, code: str = EVENT) -> dict[str, Any]:
    return {"name": name, "code": code, "triggers": triggers}


# --- validation at deploy ------------------------------------------------------------------------

def test_config_is_echoed_with_the_default_zone(fnemu) -> None:
    fn = fnemu.deploy("tick", EVENT, triggers=cron("*/5  * * * *"))
    assert fn["triggers"] == [{"type": "cron", "config": {"schedule": "*/5 * * * *", "timezone": "UTC"}}]
    fn = fnemu.deploy("tick", EVENT, triggers=[*cron("@daily", "Europe/Berlin"), {"type": "http"}])
    assert fn["triggers"][0]["config"] == {"schedule": "@daily", "timezone": "Europe/Berlin"}


@pytest.mark.parametrize(("config", "field", "words"), [
    ({"schedule": "0 0 31 2 *"}, "schedule", ["never fires"]),
    ({"schedule": "cron(0 12 * * ? *)"}, "schedule", ["AWS cron()", '"0 12 * * *"']),
    ({"schedule": "rate(5 minutes)"}, "schedule", ["AWS rate()", '"*/5 * * * *"']),
    ({"schedule": "0 12 * * * *"}, "schedule", ["5 fields"]),
    ({"schedule": "61 * * * *"}, "schedule", ["not a valid cron expression"]),
    ({"schedule": "@reboot"}, "schedule", ["unknown alias"]),
    ({}, "schedule", ["required"]),
    ({"schedule": "@hourly", "timezone": "Mars/Base"}, "timezone", ["unknown IANA time zone"]),
    ({"schedule": "@hourly", "timezone": 1}, "timezone", ["IANA time zone"]),
    ({"schedule": "@hourly", "every": 5}, "every", ["unknown cron trigger field", "schedule, timezone"]),
])
def test_bad_configs_are_400_naming_the_field(fnemu, config, field, words) -> None:
    body = deploy_body("bad", [{"type": "cron", "config": config}])
    r = fnemu.http.post("/v1/local/functions", json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(r, 400, f"triggers[0].config.{field}", *words)


def test_a_second_cron_trigger_is_409(fnemu) -> None:
    body = deploy_body("twice", [*cron("@hourly"), *cron("@daily")])
    r = fnemu.http.post("/v1/local/functions", json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(r, 409, "triggers[1].type")


# --- advancing the clock -------------------------------------------------------------------------

def test_advancing_a_day_fires_every_quarter_hour_in_order(fnemu) -> None:
    set_clock(fnemu, START)
    fnemu.deploy("quarter", EVENT, triggers=cron("*/15 * * * *"))
    result = fnemu.advance_clock(86400)
    expected = [iso(parse_iso(START) + 900 * i) for i in range(1, 97)]
    assert [f["scheduledTime"] for f in result["fired"]] == expected
    assert {(f["function"], f["status_code"]) for f in result["fired"]} == {("quarter", 200)}
    assert result["skipped"] == [] and result["now"].startswith("2026-01-02T00:00:00")
    entries = fnemu.logs("quarter", limit=1000)
    assert len(entries) == 96 and {e["trigger"] for e in entries} == {"cron"}
    assert [e["timestamp"] for e in reversed(entries)] == expected  # each ran at its own time
    times = [json.loads(e["consoleLogs"][0]["message"])["time"] for e in reversed(entries)]
    assert times == [t[:19] + "Z" for t in expected]
    assert fnemu.client.get("quarter")["metrics"]["total_invocations"] == 96


def test_fires_of_several_functions_interleave_in_time_order(fnemu) -> None:
    set_clock(fnemu, START)
    fnemu.deploy("b-half", EVENT, triggers=cron("*/30 * * * *"))
    fnemu.deploy("a-hour", EVENT, triggers=cron("@hourly"))
    fired = [(f["scheduledTime"][11:16], f["function"]) for f in fnemu.advance_clock(3600)["fired"]]
    assert fired == [("00:30", "b-half"), ("01:00", "a-hour"), ("01:00", "b-half")]


def test_lambda_gets_an_eventbridge_scheduled_event(fnemu) -> None:
    set_clock(fnemu, START)
    fnemu.deploy("nightly", EVENT, triggers=cron("30 2 * * *"))
    assert fnemu.advance_clock(86400)["fired"][0]["scheduledTime"] == "2026-01-01T02:30:00.000Z"
    event = json.loads(fnemu.logs("nightly")[0]["consoleLogs"][0]["message"])
    assert event == {
        "version": "0", "id": event["id"], "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "000000000000", "time": "2026-01-01T02:30:00Z", "region": "us-east-1",
        "resources": ["arn:aws:events:us-east-1:000000000000:rule/fnemu-local-nightly"], "detail": {},
    }
    assert len(event["id"]) == 36


def test_web_gets_a_post_of_the_event_with_the_trigger_header(fnemu) -> None:
    fnemu.deploy("web-tick", WEB, triggers=cron("@hourly"))
    envelope = fnemu.fire_cron("web-tick")
    assert envelope["status_code"] == 200, envelope
    body = json.loads(envelope["body"])
    assert body["method"] == "POST" and body["trigger"] == "cron"
    assert body["event"]["detail-type"] == "Scheduled Event" and body["event"]["time"].endswith("Z")
    assert fnemu.logs("web-tick")[0]["trigger"] == "cron"


@pytest.mark.parametrize(("zone", "start", "schedule", "expected"), [
    ("Europe/Berlin", "2026-01-01T00:00:00Z", "0 9 * * *", ["2026-01-01T08:00:00.000Z"]),
    ("America/New_York", "2026-03-07T12:00:00Z", "30 2 * * *",  # spring gap → 03:00 EDT
     ["2026-03-08T07:00:00.000Z", "2026-03-09T06:30:00.000Z"]),
    ("America/New_York", "2026-10-31T12:00:00Z", "30 1 * * *",  # repeated 01:30 → once, EDT
     ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]),
    ("Europe/Berlin", "2026-03-28T12:00:00Z", "30 2 * * *",  # spring gap → 03:00 CEST
     ["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]),
    ("Europe/Berlin", "2026-10-24T12:00:00Z", "30 2 * * *",  # repeated 02:30 → once, CEST
     ["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]),
])
def test_time_zones_and_dst_on_the_server(fnemu, zone, start, schedule, expected) -> None:
    set_clock(fnemu, start)
    fnemu.deploy("zoned", EVENT, triggers=cron(schedule, zone))
    fired = fnemu.advance_clock(len(expected) * 86400)["fired"]
    assert [f["scheduledTime"] for f in fired] == expected


def test_clock_set_forward_fires_what_it_passes_and_backward_nothing(fnemu) -> None:
    set_clock(fnemu, START)
    fnemu.deploy("hourly", EVENT, triggers=cron("@hourly"))
    forward = set_clock(fnemu, "2026-01-01T03:30:00Z")
    assert [f["scheduledTime"][11:16] for f in forward["fired"]] == ["01:00", "02:00", "03:00"]
    assert forward["now"].startswith("2026-01-01T03:30:00")
    back = set_clock(fnemu, "2026-01-01T00:10:00Z")
    assert back["fired"] == [] and back["skipped"] == []
    shown = control(fnemu, "GET", "/_emu/clock")
    assert shown["now"].startswith("2026-01-01T00:10") and shown["frozen"] is False
    assert shown["next"] == [{"app_id": "local", "function": "hourly", "scheduledTime": "2026-01-01T01:00:00.000Z",
                              "schedule": "@hourly", "timezone": "UTC",
                              "fires": [f"2026-01-01T0{h}:00:00.000Z" for h in range(1, 6)]}]


def test_update_reschedules_and_delete_stops(fnemu) -> None:
    set_clock(fnemu, START)
    fnemu.deploy("job", EVENT, triggers=cron("@hourly"))
    assert len(fnemu.advance_clock(3600)["fired"]) == 1
    fnemu.deploy("job", EVENT, triggers=cron("*/10 * * * *"))
    assert control(fnemu, "GET", "/_emu/clock")["next"][0]["scheduledTime"] == "2026-01-01T01:10:00.000Z"
    assert len(fnemu.advance_clock(3600)["fired"]) == 6
    fnemu.deploy("job", EVENT, triggers=[{"type": "http"}])  # lost its cron trigger
    assert fnemu.advance_clock(3600)["fired"] == []
    fnemu.deploy("job", EVENT, triggers=cron("@hourly"))
    fnemu.client.delete("job")
    assert fnemu.advance_clock(7200)["fired"] == []
    assert control(fnemu, "GET", "/_emu/clock")["next"] == []


def test_overlap_skips_logs_and_reports_the_occurrence(fnemu, tmp_path, caplog) -> None:
    started, release = tmp_path / "started", tmp_path / "release"
    code = ("import os, time\ndef handler(event, context):\n"
            "    open(os.environ['STARTED'], 'w').close()\n"
            "    while not os.path.exists(os.environ['RELEASE']):\n        time.sleep(0.005)\n"
            "    return 'done'\n")
    set_clock(fnemu, START)
    fnemu.deploy("slow", code, triggers=cron("* * * * *"), timeoutMs=20000,
                 envVars={"STARTED": str(started), "RELEASE": str(release)})
    running: list[dict[str, Any]] = []
    thread = threading.Thread(target=lambda: running.append(fnemu.fire_cron("slow")))
    thread.start()
    try:
        wait_until(started.exists, message="the manual run to start")
        result = fnemu.advance_clock(120)
        assert result["fired"] == []
        assert [(s["function"], s["scheduledTime"][11:16]) for s in result["skipped"]] == [
            ("slow", "00:01"), ("slow", "00:02")]
        assert "still going" in result["skipped"][0]["reason"]
        assert "cron local/slow: skipped the run scheduled for 2026-01-01T00:02:00.000Z" in caplog.text
    finally:
        release.touch()
        thread.join(30)
    assert running[0]["status_code"] == 200
    assert [f["status_code"] for f in fnemu.advance_clock(60)["fired"]] == [200]


def test_real_time_firing_on_a_running_clock(fnemu) -> None:
    fnemu.deploy("every-minute", EVENT, triggers=cron("* * * * *"))
    boundary = math.floor(parse_iso(control(fnemu, "GET", "/_emu/clock")["now"]) / 60) * 60 + 60
    set_clock(fnemu, iso(boundary - 0.3))  # the next minute is 0.3 s away on the emulator clock
    entries = wait_until(lambda: fnemu.logs("every-minute"), timeout=10, message="the minute's fire")
    assert len(entries) == 1 and entries[0]["trigger"] == "cron"
    assert json.loads(entries[0]["consoleLogs"][0]["message"])["time"] == iso(boundary)[:19] + "Z"


def test_a_tick_missed_while_the_machine_slept_fires_once(fnemu) -> None:
    fnemu.deploy("sleeper", EVENT, triggers=cron("* * * * *"))
    boundary = math.floor(parse_iso(control(fnemu, "GET", "/_emu/clock")["now"]) / 60) * 60 + 60
    set_clock(fnemu, iso(boundary - 0.3))
    clock = fnemu.server.app[CLOCK]

    async def sleep_an_hour() -> None:
        """The wall clock jumps while the timer, on the monotonic clock, still waits."""
        clock.set(clock.now() + 3630)

    fnemu._thread.run(sleep_an_hour())
    entries = wait_until(lambda: fnemu.logs("sleeper"), timeout=10, message="the missed tick")
    shown = control(fnemu, "GET", "/_emu/clock")
    assert len(fnemu.logs("sleeper")) == 1 == len(entries)
    assert json.loads(entries[0]["consoleLogs"][0]["message"])["time"] == iso(boundary)[:19] + "Z"
    assert parse_iso(shown["next"][0]["scheduledTime"]) > parse_iso(shown["now"])


# --- firing by hand, control errors, frozen clocks -----------------------------------------------

def test_fire_now_returns_the_envelope(fnemu) -> None:
    fnemu.deploy("report", EVENT, triggers=cron("0 9 * * MON"))
    envelope = fnemu.fire_cron("report")
    assert envelope["status_code"] == 200 and envelope["error"] is None
    assert json.loads(envelope["body"])["source"] == "aws.events"
    assert [e["trigger"] for e in fnemu.logs("report")] == ["cron"]


def test_fire_is_404_without_the_function_or_its_cron_trigger(fnemu) -> None:
    headers = {"Authorization": f"Bearer {fnemu.token}"}
    api_error(fnemu.http.post("/_emu/cron/local/nope", headers=headers), 404, "name", "not found")
    fnemu.deploy("plain", EVENT)
    api_error(fnemu.http.post("/_emu/cron/local/plain", headers=headers), 404, "name", "no cron trigger")


@pytest.mark.parametrize(("body", "field"), [
    ({"seconds": 0}, "seconds"), ({"seconds": -5}, "seconds"), ({"seconds": "60"}, "seconds"),
    ({"seconds": True}, "seconds"), ({"seconds": 400_000_000}, "seconds"), ({}, "seconds"),
    ({"seconds": 60, "extra": 1}, "extra"), ([60], "body"),
])
def test_advance_rejects_bad_bodies(fnemu, body, field) -> None:
    r = fnemu.http.post("/_emu/clock/advance", json=body, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(r, 400, field)


@pytest.mark.parametrize("when", ["yesterday", 5, "1900-01-01T00:00:00Z", "2099-01-01T00:00:00Z"])
def test_set_rejects_bad_times(fnemu, when) -> None:
    r = fnemu.http.post("/_emu/clock/set", json={"time": when}, headers={"Authorization": f"Bearer {fnemu.token}"})
    api_error(r, 400, "time")


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/_emu/clock"), ("POST", "/_emu/clock/advance"), ("POST", "/_emu/clock/set"),
    ("POST", "/_emu/cron/local/x"),
])
def test_control_routes_need_the_developer_token(fnemu, method, path) -> None:
    api_error(fnemu.http.request(method, path, json={"seconds": 1}), 401, None)
    user = {"Authorization": f"Bearer {fnemu.user_token('u1')}"}
    api_error(fnemu.http.request(method, path, json={"seconds": 1}, headers=user), 403, None)


def test_a_frozen_clock_stands_still_and_resets_to_its_start(make_emulator) -> None:
    emu = make_emulator(clock=f"frozen={START}")
    emu.deploy("tick", EVENT, triggers=cron("* * * * *"))
    shown = control(emu, "GET", "/_emu/clock")
    assert shown == {"now": "2026-01-01T00:00:00.000Z", "frozen": True, "next": [
        {"app_id": "local", "function": "tick", "scheduledTime": "2026-01-01T00:01:00.000Z",
         "schedule": "* * * * *", "timezone": "UTC", "fires": [f"2026-01-01T00:0{m}:00.000Z" for m in range(1, 6)]}]}
    assert emu.advance_clock(90)["now"] == "2026-01-01T00:01:30.000Z"
    assert emu.fire_cron("tick")["status_code"] == 200
    assert emu.logs("tick")[0]["timestamp"] == "2026-01-01T00:01:30.000Z"  # logs read the same clock
    emu.reset()
    assert control(emu, "GET", "/_emu/clock")["now"] == "2026-01-01T00:00:00.000Z"


def test_frozen_without_a_time_freezes_at_start(make_emulator) -> None:
    emu = make_emulator(clock="frozen")
    first = control(emu, "GET", "/_emu/clock")
    assert first["frozen"] is True
    assert control(emu, "GET", "/_emu/clock")["now"] == first["now"]
