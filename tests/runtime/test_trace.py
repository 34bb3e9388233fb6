"""The trace of an invocation: its phases measured by the runtime, read from the log entry over the API."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from emulator.pytest_plugin import Emulator

SLOW = ("import time\n"
        "def handler(event, context):\n"
        "    time.sleep(0.3)\n"
        "    print('slept')\n"
        "    return {'statusCode': 200, 'body': 'ok'}\n")


def _spans(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {span["name"]: span for span in entry["trace"]}


def _two_at_once(emu: Emulator) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: emu.invoke("slow"), range(2)))
    assert [a["status_code"] for a in answers] == [200, 200]
    entries = {e["id"]: e for e in emu.logs("slow", limit=10)}
    return [entries[a["id"]] for a in answers]


def test_a_warm_call_has_handler_and_response_and_no_worker_start(fnemu: Emulator) -> None:
    fnemu.deploy("slow", SLOW)  # the deploy starts one worker: the call finds it idle
    answer = fnemu.invoke("slow")
    [entry] = fnemu.logs("slow")
    assert entry["id"] == answer["id"]
    spans = _spans(entry)
    assert [s["name"] for s in entry["trace"]] == ["handler", "response"]
    assert 300 <= spans["handler"]["duration_ms"] <= entry["duration_ms"]
    assert spans["response"]["start_ms"] >= spans["handler"]["start_ms"] + spans["handler"]["duration_ms"]
    end = max(s["start_ms"] + s["duration_ms"] for s in entry["trace"])
    assert end <= entry["duration_ms"]


def test_a_cold_call_shows_its_worker_start_before_the_handler(fnemu: Emulator) -> None:
    fnemu.deploy("slow", SLOW)
    first, second = _two_at_once(fnemu)  # one idle worker: the other call starts a new one
    cold = [e for e in (first, second) if "worker_start" in _spans(e)]
    warm = [e for e in (first, second) if "worker_start" not in _spans(e)]
    assert len(cold) == 1 and len(warm) == 1
    spans = _spans(cold[0])
    start, handler = spans["worker_start"], spans["handler"]
    assert start["duration_ms"] > 0
    assert handler["start_ms"] >= start["start_ms"] + start["duration_ms"]
    assert cold[0]["duration_ms"] >= start["duration_ms"] + handler["duration_ms"]


def test_a_call_that_waits_for_the_only_worker_shows_it_queued(make_emulator: Any) -> None:
    emu = make_emulator(max_workers_per_function=1)
    emu.deploy("slow", SLOW)
    entries = _two_at_once(emu)
    queued = [_spans(e)["queued"] for e in entries if "queued" in _spans(e)]
    assert len(queued) == 1
    assert queued[0]["duration_ms"] >= 250  # it waited for the other call's 300 ms handler
