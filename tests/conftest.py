"""The suite uses fnemu's own pytest plugin (`fnemu` fixture); `make_emulator` adds servers with
their own Config for tests of limits and options."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulator.config import Config
from emulator.pytest_plugin import Emulator, EmulatorThread

pytest_plugins = ["pytester"]

Figures = Callable[..., None]


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


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """`figures(name=value, ...)`: figures a test measured, kept with its report (so they cross
    from xdist workers) and shown in the summary, with or without `-s`."""
    def keep(**values: Any) -> None:
        request.node.user_properties.append(("figures", values))
    return keep


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """What the tests kept (`figures`, and the kinds of fault the tests marked `fault` survived:
    tests/reliability/conftest.py), in a section of the summary. Here: under xdist only the root
    conftest runs in the controller."""
    reports = [report for reports in terminalreporter.stats.values() for report in reports
               if getattr(report, "when", None) == "call"]
    lines = [f"{report.nodeid}: {value}" for report in reports
             for name, value in getattr(report, "user_properties", ()) if name == "figures"]
    faults: dict[str, list[bool]] = {}
    for report in reports:
        for name, value in getattr(report, "user_properties", ()):
            if name == "fault":
                faults.setdefault(value, []).append(report.passed)
    if faults:
        survived = sorted(kind for kind, passed in faults.items() if all(passed))
        lines.append(f"faults survived: {len(survived)} of {len(faults)} kinds "
                     f"({sum(len(p) for p in faults.values())} tests): {'; '.join(survived)}")
        lines += [f"fault NOT survived: {kind}" for kind, passed in sorted(faults.items()) if not all(passed)]
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
