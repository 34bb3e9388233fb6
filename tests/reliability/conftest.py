"""Figures the reliability tests measure: kept with each test's report (so they cross from xdist
workers); tests/conftest.py prints them in the terminal summary, with or without `-s`."""

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
