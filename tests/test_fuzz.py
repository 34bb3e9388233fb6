"""§3, §7 the OpenAPI file says what the server does: a short schemathesis run over the served
file, every phase (stateful through its links), against a real `fnemu start`. `make fuzz` runs a
long one (tests/fuzz/run.py)."""

from __future__ import annotations

import re

from tests.conftest import Figures
from tests.fuzz.run import run


def test_schemathesis_finds_nothing_in_a_short_run(figures: Figures) -> None:
    # a fixed amount of work, not of time: a loaded machine makes it slower, never thinner;
    # a fixed seed keeps it the same run each time (`make fuzz` explores with fresh seeds)
    result = run(count=10, max_time=None, workers=1, seed=20261203)
    figures(**result.figures())
    assert result.ok, "\n\n".join(result.server_failures) or result.output[-5000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):
        assert re.search(rf"{phase} \(in [\d.]+s\)", result.output), f"{phase} did not run:\n{result.output[-3000:]}"
    links = re.search(r"API Links:\s+(\d+) covered / (\d+) selected", result.output)
    assert links and int(links.group(1)) > 0, result.output[-3000:]
    generated = re.search(r"(\d+) generated", result.output)
    assert generated and int(generated.group(1)) > 200, result.output[-3000:]
