"""The phases of one invocation, measured where each happens (the invoke path, the worker pool)."""

from __future__ import annotations

import time
from types import TracebackType

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

    def span(self, name: str) -> _Span:
        """Time a `with` block as phase `name`; recorded even when it raises (a timeout's handler).
        A plain object, not a generator-based context manager: every invocation times two."""
        return _Span(self, name)

    def add(self, name: str, start: float) -> None:
        """Phase `name`, from `start` (a perf_counter reading) until now."""
        end = time.perf_counter()
        self.spans.append((name, round((start - self._origin) * 1000, 3), round((end - start) * 1000, 3)))


class _Span:
    __slots__ = ("_name", "_start", "_trace")

    def __init__(self, trace: Trace, name: str) -> None:
        self._trace = trace
        self._name = name
        self._start = 0.0

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._trace.add(self._name, self._start)
