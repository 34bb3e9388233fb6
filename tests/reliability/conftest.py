"""The faults the reliability tests survive, kept with each test's report (so they cross from
xdist workers); tests/conftest.py counts them in the terminal summary, beside the figures."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(kind): the test survives this fault (counted in the summary)")


@pytest.fixture(autouse=True)
def _fault(request: pytest.FixtureRequest) -> None:
    """A test marked `fault(kind)` reports the kind, for the summary's count of faults survived."""
    marker = request.node.get_closest_marker("fault")
    if marker is not None:
        request.node.user_properties.append(("fault", marker.args[0]))
