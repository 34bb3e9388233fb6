"""Warm workers for one function revision, with a per-function cap and FIFO hand-off."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from ..errors import LoadError, TooManyRequests, WorkerCrashed
from .trace import Trace
from .worker import Worker, WorkerResult

__all__ = ["WorkerPool"]

_log = logging.getLogger("fnemu.runtime")
_STOPPING = "the worker was stopped: fnemu is shutting down"
_REFUSAL_REPORT_S = 1.0
"""Refusals are logged as one line per function per second at most, with their count: a flood
must not turn into a flood of log lines."""

Launcher = Callable[[], Coroutine[Any, Any, Worker]]


class WorkerPool:
    """Idle workers are reused newest-first; callers waiting for one are served oldest-first.

    A retired pool (its revision was replaced) starts nothing new: its busy workers finish
    their calls, serve callers that were already waiting, then stop; `drained` runs once the
    last of them is gone (the version's code may be removed then).

    At most `max_queue` callers wait; the next one is refused with TooManyRequests (429) before
    any code runs, and the refusals are logged (a count per second) under `label`.
    """

    __slots__ = ("_busy", "_cap", "_closed", "_count", "_drained", "_idle", "_idle_seconds", "_label", "_launch",
                 "_loop", "_max_queue", "_reaper", "_refused", "_retired", "_starting", "_waiters")

    def __init__(self, launch: Launcher, *, cap: int, idle_seconds: float, max_queue: int, label: str) -> None:
        self._launch = launch
        self._cap = cap
        self._max_queue = max_queue
        self._label = label
        self._refused = 0
        """Refusals not yet logged."""
        self._idle_seconds = idle_seconds
        self._idle: list[Worker] = []
        self._busy: set[Worker] = set()
        self._starting: set[asyncio.Task[Worker]] = set()
        self._closed = False
        self._waiters: deque[asyncio.Future[Worker]] = deque()
        self._count = 0
        self._retired = False
        self._drained: Callable[[], None] | None = None
        self._reaper: asyncio.TimerHandle | None = None
        self._loop = asyncio.get_running_loop()

    @property
    def size(self) -> int:
        """Workers alive or starting."""
        return self._count

    async def warm(self) -> None:
        """Start one worker now (deploy checks that the code loads); LoadError if it does not."""
        self._count += 1
        try:
            worker = await self._start()
        except BaseException:
            self._count -= 1
            self._settle()
            raise
        self._release(worker)

    async def call(self, message: dict[str, Any], timeout: float, trace: Trace) -> WorkerResult:
        worker = await self._acquire(trace)
        if self._closed:  # started while the pool closed
            self._release(worker)
            raise WorkerCrashed(_STOPPING)
        self._busy.add(worker)
        try:
            with trace.span("handler"):
                return await worker.call(message, timeout)
        finally:
            self._busy.discard(worker)
            self._release(worker)

    def retire(self, drained: Callable[[], None] | None = None) -> None:
        self._retired = True
        self._drained = drained
        idle, self._idle = self._idle, []
        self._count -= len(idle)
        for worker in idle:
            worker.kill()
        self._cancel_reaper()
        self._settle()

    def close(self) -> None:
        """Stop everything now (shutdown): busy workers too (their calls fail with WorkerCrashed,
        so their callers answer at once); waiters are woken with the same error."""
        self._closed = True
        self.retire()
        for worker in list(self._busy):
            worker.kill(_STOPPING)
        for task in list(self._starting):
            task.cancel()  # a worker still loading its code is killed by its spawn
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_exception(WorkerCrashed(_STOPPING))

    async def _acquire(self, trace: Trace) -> Worker:
        """An idle worker, a new one (its start is the trace's worker_start), or the next one freed
        (the wait is the trace's queued phase)."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            self._count -= 1
        if self._count < self._cap:
            self._count += 1
            try:
                with trace.span("worker_start"):
                    return await self._start()
            except BaseException:
                self._count -= 1
                self._wake_one()
                self._settle()
                raise
        if len(self._waiters) >= self._max_queue:
            self._refuse()
        fut: asyncio.Future[Worker] = self._loop.create_future()
        self._waiters.append(fut)
        try:
            with trace.span("queued"):
                return await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self._release(fut.result())
            else:
                try:
                    self._waiters.remove(fut)
                except ValueError:
                    pass
            raise

    async def _start(self) -> Worker:
        """Launch a worker as a task `close` can cancel; LoadError if the pool closed meanwhile."""
        task = self._track(self._loop.create_task(self._launch()))
        try:
            return await task
        except asyncio.CancelledError:
            me = asyncio.current_task()
            if self._closed and task.cancelled() and (me is None or not me.cancelling()):
                raise LoadError("fnemu is shutting down") from None
            raise

    def _track(self, task: asyncio.Task[Worker]) -> asyncio.Task[Worker]:
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)
        return task

    def _refuse(self) -> None:
        if not self._refused:
            self._loop.call_later(_REFUSAL_REPORT_S, self._report_refusals)
        self._refused += 1
        raise TooManyRequests(f"{self._max_queue} requests are already waiting for a worker of this function "
                              f"({self._cap} busy); try again shortly (fnemu start --max-queue raises the bound)")

    def _report_refusals(self) -> None:
        _log.warning("%s: refused %d request%s with 429: %d already waiting for %d busy workers (--max-queue)",
                     self._label, self._refused, "" if self._refused == 1 else "s", len(self._waiters), self._cap)
        self._refused = 0

    def _release(self, worker: Worker) -> None:
        if not worker.alive:
            self._count -= 1
            self._wake_one()
            self._settle()
            return
        while self._waiters:
            fut = self._waiters.popleft()
            if not fut.done():
                fut.set_result(worker)
                return
        if self._retired:
            self._count -= 1
            worker.kill()
            self._settle()
            return
        worker.last_used = time.monotonic()
        self._idle.append(worker)
        if self._reaper is None:
            self._reaper = self._loop.call_later(self._idle_seconds, self._reap)

    def _wake_one(self) -> None:
        """A slot freed up: start a worker for the oldest waiter, if any."""
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()
        if not self._waiters or self._count >= self._cap:
            return
        fut = self._waiters.popleft()
        self._count += 1
        task = self._track(self._loop.create_task(self._launch()))

        def hand_over(t: asyncio.Task[Worker]) -> None:
            if t.cancelled() or t.exception() is not None:
                self._count -= 1
                if not fut.done():
                    exc = t.exception() if not t.cancelled() else asyncio.CancelledError()
                    fut.set_exception(exc or RuntimeError("worker start failed"))
                self._settle()
                return
            if fut.done():
                self._release(t.result())
            else:
                fut.set_result(t.result())

        task.add_done_callback(hand_over)

    def _settle(self) -> None:
        """Retired and empty: run `drained`, once."""
        if self._retired and self._count == 0 and self._drained is not None:
            drained, self._drained = self._drained, None
            drained()

    def _reap(self) -> None:
        self._reaper = None
        cutoff = time.monotonic() - self._idle_seconds
        keep: list[Worker] = []
        for worker in self._idle:
            if worker.last_used <= cutoff or not worker.alive:
                self._count -= 1
                worker.kill()
            else:
                keep.append(worker)
        self._idle = keep
        if keep:
            wait = max(keep[0].last_used + self._idle_seconds - time.monotonic(), 0.05)
            self._reaper = self._loop.call_later(wait, self._reap)

    def _cancel_reaper(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
