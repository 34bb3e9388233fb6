"""§11 `fnemu cron fire`, `fnemu clock advance|show`, `fnemu start --clock` and the start-up
table; §12 the plugin's `advance_clock` and `fire_cron`, through an inner pytest session."""

from __future__ import annotations

import json
import re
import subprocess
import time
from datetime import datetime
from pathlib import Path

import click
import httpx
import pytest
from click.testing import CliRunner

from emulator.cli import cli
from emulator.cli.cron import parse_duration
from tests.test_cli_start import FNEMU, start, stop

EVENT = "def handler(event, context):\n    print('scheduled for', event['time'])\n    return event['time']\n"
CRON = [{"type": "cron", "config": {"schedule": "*/15 * * * *"}}]


@pytest.fixture
def run_cli(fnemu):
    runner = CliRunner()

    def run(*args: str):
        env = {"FNEMU_URL": fnemu.url, "FNEMU_TOKEN": fnemu.token}
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return run


def set_clock(fnemu, when: str) -> None:
    r = fnemu.http.post("/_emu/clock/set", json={"time": when}, headers={"Authorization": f"Bearer {fnemu.token}"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(("text", "seconds"), [
    ("90m", 5400), ("45s", 45), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1.5h", 5400), ("30", 30),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "message"), [
    ("", "not a duration: a number with s, m, h or d"), ("soon", "not a duration"), ("5w", "not a duration"),
    ("m5", "not a duration"), ("-5m", "does not go back through advance; use `fnemu clock set TIME`"),
    ("0s", "must be more than zero"), ("0", "must be more than zero"), ("4000d", "at most ten years"),
])
def test_bad_durations(text, message):
    with pytest.raises(click.BadParameter, match=re.escape(message)):
        parse_duration(text)


@pytest.mark.parametrize(("args", "message"), [
    (["-5m"], "Error: Invalid value for DURATION: '-5m': the clock does not go back through advance"),
    (["0s"], "Error: Invalid value for DURATION: '0s': must be more than zero"),
    (["--app-id", "x", "5m"], "Error: No such option '--app-id'."),
])
def test_clock_advance_mistakes_are_one_line_about_the_duration(fnemu, run_cli, args, message):
    before = fnemu.client.clock()["now"]
    result = run_cli("clock", "advance", *args)
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1, result.output
    assert "seconds:" not in result.output and fnemu.client.clock()["now"][:16] == before[:16]


def test_clock_set_and_reset_take_the_clock_back(fnemu, run_cli):
    ahead = time.gmtime(time.time() + 2 * 366 * 86400).tm_year  # every move below is after now
    set_clock(fnemu, f"{ahead}-01-01T00:00:00Z")
    fnemu.deploy("quarter", EVENT, triggers=CRON)
    forward = run_cli("clock", "set", f"{ahead}-01-01T00:31:00Z")
    assert forward.exit_code == 0, forward.output
    assert f"now {ahead}-01-01T00:31" in forward.output and "fired 2, skipped 0" in forward.output
    back = json.loads(run_cli("clock", "set", f"{ahead - 1}-12-31T12:00:00Z", "--json").output)
    assert back["now"].startswith(f"{ahead - 1}-12-31T12:00") and back["fired"] == []
    now = run_cli("clock", "set", "now")
    assert now.exit_code == 0 and "fired 0" in now.output
    assert abs(_ts(fnemu.client.clock()["now"]) - time.time()) < 60
    advanced = run_cli("clock", "advance", "1h")
    assert advanced.exit_code == 0 and "fired 4" in advanced.output
    reset = run_cli("clock", "reset")
    assert reset.exit_code == 0 and reset.output.startswith("now ") and "(frozen)" not in reset.output
    assert abs(_ts(fnemu.client.clock()["now"]) - time.time()) < 60
    assert len(fnemu.logs("quarter")) == 6  # neither a jump back nor the reset fired anything
    bad = run_cli("clock", "set", "tomorrow")
    assert bad.exit_code == 2 and "Error: Invalid value for TIME: 'tomorrow' is not a time" in bad.output


def test_clock_reset_returns_a_frozen_clock_to_its_start(make_emulator):
    emu = make_emulator(clock="frozen=2026-01-01T00:00:00Z")
    env = {"FNEMU_URL": emu.url, "FNEMU_TOKEN": emu.token}
    runner = CliRunner()
    assert runner.invoke(cli, ["clock", "advance", "3h"], env=env).exit_code == 0
    assert emu.client.clock()["now"] == "2026-01-01T03:00:00.000Z"
    result = runner.invoke(cli, ["clock", "reset"], env=env)
    assert result.exit_code == 0 and result.output == "now 2026-01-01T00:00:00.000Z (frozen)\n"


def _ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_clock_advance_and_show(fnemu, run_cli):
    set_clock(fnemu, "2026-01-01T00:00:00Z")
    fnemu.deploy("quarter", EVENT, triggers=CRON)
    shown = run_cli("clock", "show")
    assert shown.exit_code == 0, shown.output
    assert "now 2026-01-01T00:00" in shown.output
    assert "2026-01-01T00:15:00.000Z  local/quarter  */15 * * * * (UTC)" in shown.output
    result = run_cli("clock", "advance", "90m")
    assert result.exit_code == 0, result.output
    assert "fired 6, skipped 0" in result.output
    assert re.findall(r"(\d\d:\d\d):00\.000Z  quarter  200", result.output) == [
        "00:15", "00:30", "00:45", "01:00", "01:15", "01:30"]
    as_json = json.loads(run_cli("clock", "advance", "15m", "--json").output)
    assert [f["scheduledTime"] for f in as_json["fired"]] == ["2026-01-01T01:45:00.000Z"]


def test_cron_fire(fnemu, run_cli):
    fnemu.deploy("quarter", EVENT, triggers=CRON)
    result = run_cli("cron", "fire", "quarter")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("200") and "[log] scheduled for" in result.output
    assert [e["trigger"] for e in fnemu.logs("quarter")] == ["cron"]
    fnemu.deploy("failing", "def handler(event, context):\n    raise RuntimeError('no')\n", triggers=CRON)
    assert run_cli("cron", "fire", "failing").exit_code == 5  # the function's 500, as `invoke` exits


def test_user_mistakes_are_one_line(fnemu, run_cli):
    missing = run_cli("cron", "fire", "nope")
    assert missing.exit_code == 1 and "Error: HTTP 404" in missing.output and "Traceback" not in missing.output
    bad = run_cli("clock", "advance", "soon")
    assert bad.exit_code == 2 and "not a duration" in bad.output


def test_start_with_a_frozen_clock_shows_each_next_fire_in_its_zone(tmp_path):
    folder = tmp_path / "functions"
    folder.mkdir()
    (folder / "morning.py").write_text(EVENT)
    (folder / "morning.json").write_text(json.dumps(
        {"triggers": [{"type": "cron", "config": {"schedule": "0 9 * * *", "timezone": "Europe/Berlin"}}]}))
    proc, url = start("--functions-dir", str(folder), "--clock", "frozen=2026-01-01T00:00:00Z")
    try:
        shown = httpx.get(f"{url}/_emu/clock", headers={"Authorization": "Bearer fnemu-dev-token"}).json()
        assert shown["frozen"] is True and shown["now"] == "2026-01-01T00:00:00.000Z"
    finally:
        code, out = stop(proc)
    assert code == 0
    assert re.search(r"morning\s+\S+\s+cron \(next 2026-01-01 09:00 Europe/Berlin\)", out), out


@pytest.mark.parametrize(("value", "message"), [("sometimes", "real, frozen or frozen=ISO"),
                                                ("frozen=tomorrow", "not an ISO 8601")])
def test_bad_clock_option_is_one_clear_line(value, message):
    result = subprocess.run([*FNEMU, "start", "--clock", value], capture_output=True, text=True, timeout=30,
                            cwd=Path(__file__).resolve().parent.parent.parent)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and message in result.stderr


def test_plugin_advance_clock_and_fire_cron(pytester):
    pytester.makepyfile(test_user=f'''
        def test_scheduled(fnemu):
            fnemu.deploy("tick", {EVENT!r}, triggers={CRON!r})
            fired = fnemu.advance_clock(3600)["fired"]
            assert len(fired) == 4 and {{f["status_code"] for f in fired}} == {{200}}
            assert fnemu.fire_cron("tick")["status_code"] == 200
            assert [e["trigger"] for e in fnemu.logs("tick")] == ["cron"] * 5

        def test_the_clock_is_reset_between_tests(fnemu):
            import time
            from datetime import datetime
            now = datetime.fromisoformat(fnemu.client.clock()["now"].replace("Z", "+00:00")).timestamp()
            assert abs(now - time.time()) < 60  # the previous test moved it an hour on
    ''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=180)
    result.assert_outcomes(passed=2)
