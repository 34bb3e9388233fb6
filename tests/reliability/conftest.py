"""Figures the reliability tests measure: kept with each test's report (so they cross from xdist
workers) and printed in the terminal summary, with or without `-s`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

Figures = Callable[..., None]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """`figures(name=value, ...)`: figures of this test, shown in the summary."""
    def keep(**values: Any) -> None:
        request.node.user_properties.append(("figures", values))
    return keep


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = [f"{report.nodeid}: {value}" for reports in terminalreporter.stats.values() for report in reports
             if getattr(report, "when", None) == "call"
             for name, value in getattr(report, "user_properties", ()) if name == "figures"]
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)
