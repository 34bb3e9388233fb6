"""§5 console capture: lines in arrival order, the per-invocation cap, the truncation mark."""

from __future__ import annotations

import itertools

import pytest

from emulator.runtime.console import Console

MARK = "[fnemu] console output truncated at {} bytes"


def console(cap: int = 1 << 20) -> Console:
    ticks = itertools.count(1)
    return Console(cap, "fn", lambda: float(next(ticks)))


def texts(lines: list[tuple[str, str, float]]) -> list[tuple[str, str]]:
    return [(level, text) for level, text, _ in lines]


def test_log_and_raw_lines_keep_their_order_level_and_time() -> None:
    c = console()
    c.begin()
    c.add("info", "from a log frame")
    c.feed("stdout", b"raw out\nsecond")
    c.feed("stderr", b"raw err\n")
    c.feed("stdout", b" half\n")
    lines = c.take()
    assert texts(lines) == [("info", "from a log frame"), ("log", "raw out"), ("error", "raw err"),
                            ("log", "second half")]
    assert [t for _, _, t in lines] == [1.0, 2.0, 3.0, 4.0]


def test_a_last_line_without_newline_is_the_calls_and_the_next_call_starts_clean() -> None:
    c = console()
    c.begin()
    c.feed("stdout", b"no newline")
    assert texts(c.take()) == [("log", "no newline")]
    c.begin()
    c.feed("stdout", b"next\n")
    assert texts(c.take()) == [("log", "next")]


def test_the_end_of_a_stream_flushes_its_last_line() -> None:
    c = console()
    c.begin()
    c.feed("stderr", b"dying words")
    c.feed("stderr", b"")
    c.feed("stdout", b"")
    assert texts(c.take()) == [("error", "dying words")]


def test_past_the_cap_a_line_is_cut_and_the_rest_dropped_with_one_mark() -> None:
    c = console(cap=10)
    c.begin()
    c.add("log", "12345")
    c.add("log", "67890abc")
    c.add("log", "more")
    c.feed("stdout", b"raw\n")
    assert texts(c.take()) == [("log", "12345"), ("log", "67890"), ("warn", MARK.format(10))]


def test_output_exactly_at_the_cap_is_not_marked() -> None:
    c = console(cap=10)
    c.begin()
    c.add("log", "12345")
    c.feed("stdout", b"67890\n")
    assert texts(c.take()) == [("log", "12345"), ("log", "67890")]


def test_a_flood_without_newlines_is_cut_at_the_cap() -> None:
    c = console(cap=100)
    c.begin()
    for _ in range(50):
        c.feed("stdout", b"x" * 64)
    lines = c.take()
    assert texts(lines) == [("log", "x" * 100), ("warn", MARK.format(100))]


def test_each_invocation_has_its_own_cap() -> None:
    c = console(cap=4)
    c.begin()
    c.add("log", "toolong")
    assert texts(c.take()) == [("log", "tool"), ("warn", MARK.format(4))]
    c.begin()
    c.add("log", "ok")
    assert texts(c.take()) == [("log", "ok")]


def test_the_childs_own_truncation_is_marked_and_ends_the_capture() -> None:
    c = console()
    c.begin()
    c.add("log", "kept")
    lines = c.take(truncated=True)
    c.feed("stdout", b"late\n")
    assert texts(lines) == [("log", "kept"), ("warn", MARK.format(1 << 20))]


def test_late_raw_output_joins_the_list_already_taken() -> None:
    """The list is the log entry's: raw output read after the result still belongs to that call."""
    c = console()
    c.begin()
    lines = c.take()
    c.feed("stdout", b"late\n")
    assert texts(lines) == [("log", "late")]


def test_output_before_the_first_invocation_goes_to_the_emulators_log(caplog: pytest.LogCaptureFixture) -> None:
    c = console()
    with caplog.at_level("INFO", logger="fnemu.worker"):
        c.add("log", "loading")
        c.feed("stdout", b"raw while loading\n")
    assert [r.getMessage() for r in caplog.records] == ["[fn] loading", "[fn] raw while loading"]
    c.begin()
    assert c.take() == []
