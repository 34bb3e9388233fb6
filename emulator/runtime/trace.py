"""The phases of one invocation, measured where each happens (the invoke path, the worker pool)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Trace"]


class Trace:
    """Spans in milliseconds from the invocation's start, in the order they ended.

    queued: waiting for a free worker · worker_start: a cold worker loading the code for this call ·
    handler: the call on the worker, pipes included · response: the handler's reply made into the
    HTTP response by the function's style. A phase that did not happen (no wait, a warm worker) is
    absent.
    """

    __slots__ = ("_origin", "spans")

    def __init__(self) -> None:
        self._origin = time.perf_counter()
        self.spans: list[tuple[str, float, float]] = []

    @contextmanager
    def span(self, name: str) -> Iterator[None]:
        """Time the block as phase `name`; recorded even when it raises (a timeout's handler)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            end = time.perf_counter()
            self.spans.append((name, round((start - self._origin) * 1000, 3), round((end - start) * 1000, 3)))
