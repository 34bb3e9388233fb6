"""The suite uses fnemu's own pytest plugin (`fnemu` fixture); `make_emulator` adds servers with
their own Config for tests of limits and options."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulator.config import Config
from emulator.pytest_plugin import Emulator, EmulatorThread

pytest_plugins = ["pytester"]


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start an extra emulator with Config fields overridden; stopped after the test."""
    started: list[tuple[EmulatorThread, Emulator]] = []

    def make(**fields: Any) -> Emulator:
        fields.setdefault("port", 0)
        thread = EmulatorThread(Config(**fields))
        emulator = Emulator(thread, thread.start())
        started.append((thread, emulator))
        return emulator

    yield make
    for thread, emulator in started:
        emulator.close()
        thread.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Figures tests kept (tests/reliability/conftest.py `figures`), in a section of the summary.
    Here, not beside the fixture: under xdist only the root conftest runs in the controller."""
    lines = [f"{report.nodeid}: {value}" for reports in terminalreporter.stats.values() for report in reports
             if getattr(report, "when", None) == "call"
             for name, value in getattr(report, "user_properties", ()) if name == "figures"]
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
