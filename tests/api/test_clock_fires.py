"""`GET /_emu/clock`: each cron's next fires, computed by the schedule that fires them."""

from __future__ import annotations

from emulator.pytest_plugin import Emulator

from .expect import api_error

TICK = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'tick'}\n"


def _clock(emu: Emulator, **query: str) -> dict:  # type: ignore[type-arg]
    r = emu.http.get("/_emu/clock", params=query, headers={"Authorization": f"Bearer {emu.token}"})
    assert r.status_code == 200, r.text
    return r.json()


def test_each_cron_lists_its_next_five_fires_and_they_move_with_the_clock(make_emulator) -> None:  # type: ignore[no-untyped-def]
    emu = make_emulator(clock="frozen=2026-01-01T09:00:30Z")
    emu.deploy("tick", TICK, triggers=[{"type": "cron", "config": {"schedule": "*/15 * * * *"}}])
    emu.deploy("daily", TICK, triggers=[{"type": "cron", "config": {"schedule": "30 1 * * *",
                                                                     "timezone": "America/New_York"}}])
    by_name = {n["function"]: n for n in _clock(emu)["next"]}
    assert by_name["tick"]["fires"] == ["2026-01-01T09:15:00.000Z", "2026-01-01T09:30:00.000Z",
                                        "2026-01-01T09:45:00.000Z", "2026-01-01T10:00:00.000Z",
                                        "2026-01-01T10:15:00.000Z"]
    assert by_name["tick"]["fires"][0] == by_name["tick"]["scheduledTime"]
    assert by_name["daily"]["fires"][:2] == ["2026-01-02T06:30:00.000Z", "2026-01-03T06:30:00.000Z"]
    emu.advance_clock(30 * 60)
    tick = next(n for n in _clock(emu, fires="2")["next"] if n["function"] == "tick")
    assert tick["fires"] == ["2026-01-01T09:45:00.000Z", "2026-01-01T10:00:00.000Z"]


def test_a_fires_count_out_of_range_is_400(fnemu: Emulator) -> None:
    for bad in ("0", "101", "x"):
        r = fnemu.http.get("/_emu/clock", params={"fires": bad}, headers={"Authorization": f"Bearer {fnemu.token}"})
        api_error(r, 400, "fires", "from 1 to 100")
