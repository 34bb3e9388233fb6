"""What the tests that drive a worker directly share: the `spawn` fixture's type, the invoke frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from emulator.runtime.worker import Worker


class Spawn(Protocol):
    """Starts a worker for the given code; the fixture kills it after the test."""

    async def __call__(self, code: str, language: str = "python", memory_mb: int = 128,
                       node_flags: Sequence[str] = (), style: str = "lambda") -> Worker: ...


def invoke(n: int, event: Any = None) -> dict[str, Any]:
    """The invoke frame the emulator sends (invoke.py adds the same fields)."""
    return {"op": "invoke", "id": n, "event": event, "context": {"aws_request_id": f"r{n}"}}
