"""The one invoke path: (function, request, trigger) → worker → Invocation → log entry.

Every caller (the `/fn/` edge, test-invoke, and each trigger) comes through `Invoker.invoke`,
so every invocation is shaped, timed, measured and logged the same way.
"""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .errors import ConsoleLine, LoadError, WorkerError
from .events.request import HttpRequest
from .events.trigger import trigger_request
from .logstore import KEPT_BODY_BYTES, LogEntry
from .registry.registry import Function
from .runtime import Runtime, Trace
from .urls import function_path

__all__ = ["Invocation", "Invoker"]

_PUBLIC_MESSAGES = {
    "function_error": "the function raised an error; its log entry has the details",
    "bad_response": "the function returned a malformed response; its log entry has the details",
    "load_failed": "the function's code did not load; its log entry has the details",
}


@dataclass(slots=True)
class Invocation:
    """The outcome of one invocation. `failure` names what went wrong, if anything:
    function_error · bad_response · load_failed · timeout · crashed · out_of_memory."""

    id: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    duration_ms: float
    memory_mb: float
    error: str | None = None
    failure: str | None = None
    console: list[ConsoleLine] = field(default_factory=list)

    def public_error(self) -> str:
        """A failure as callers see it: what happened, without the function's internals (its
        traceback is in the log entry)."""
        return _PUBLIC_MESSAGES.get(self.failure or "") or self.error or self.failure or ""


class Invoker:
    __slots__ = ("_clock", "_ids", "_prefix", "_runtime", "host")

    def __init__(self, runtime: Runtime, clock: Clock) -> None:
        self._runtime = runtime
        self._clock = clock
        self.host = "127.0.0.1"
        """host:port of the emulator once it listens: the Host of requests triggers make up."""
        self._ids = itertools.count(1)
        token = secrets.token_hex(8)
        self._prefix = f"{token[:8]}-{token[8:12]}-4{token[13:16]}-8000"

    async def invoke_event(self, fn: Function, trigger: str, event: dict[str, Any], *,
                           summary: str | None = None, logged_as: str | None = None) -> Invocation:
        """A non-HTTP trigger (cron, s3_upload, ...): `event` is the platform's event for it.
        `logged_as`: the log entry's trigger when it is not `trigger` (a test-invoke of that event)."""
        request = trigger_request(trigger, event, host=self.host, full_path=function_path(fn.app_id, fn.name))
        return await self.invoke(fn, request, logged_as or trigger, event=event, summary=summary)

    async def invoke(self, fn: Function, request: HttpRequest, trigger: str, *,
                     event: dict[str, Any] | None = None, source: str | None = None,
                     tool: dict[str, Any] | None = None, replay_of: str | None = None,
                     summary: str | None = None) -> Invocation:
        """Run one invocation and log it. With `event` (a non-HTTP trigger's), the function's style
        decides whether its handler gets that event or `request`, the POST that carries it.
        `source`: the webhook signature scheme that matched, for the log entry. The request and
        event are kept with it when the body is at most KEPT_BODY_BYTES, for a replay; `replay_of`
        names the entry a replay runs again. `tool` (an agent tool call's caller and input) is kept
        with the log entry. `summary`: what fired it, in its trigger's words, for the terminal
        (LogEntry.summary)."""
        version = fn.current
        spec = version.spec
        n = next(self._ids)
        request_id = f"{self._prefix}-{n:012x}"
        now = self._clock.now()
        started = time.perf_counter()
        trace = Trace()
        inv = Invocation(request_id, 200, [], b"", 0.0, 0.0)
        try:
            if fn.never_loaded:
                assert fn.load_error is not None
                raise LoadError(fn.load_error.describe(), fn.load_error.line)
            answer = await self._runtime.call(version, request, event=event, request_id=request_id, now=now,
                                              timeout=spec.timeout_ms / 1000, trace=trace)
        except LoadError as exc:
            inv.status, inv.failure = exc.status, exc.failure
            inv.error = f"the function's code did not load: {exc.message}"
            inv.console = exc.console
        except WorkerError as exc:
            inv.status, inv.failure, inv.error = exc.status, exc.failure, exc.message
            inv.console = exc.console
            inv.memory_mb = _mb(exc.memory_kb)
        else:
            result = answer.result
            inv.console = result.console
            inv.memory_mb = _mb(result.memory_kb)
            if result.error is not None:
                inv.status, inv.failure = 500, "function_error"
                inv.error = f"{result.error}\n{result.traceback}" if result.traceback else result.error
            elif answer.response is None:
                inv.status, inv.failure, inv.error = 502, "bad_response", answer.bad_response
            else:
                inv.status, inv.headers, inv.body = answer.response
        inv.duration_ms = round((time.perf_counter() - started) * 1000, 3)
        kept = len(request.body) <= KEPT_BODY_BYTES
        fn.log.append(LogEntry(request_id, fn.app_id, fn.name, trigger, now, request.method, request.path,
                               inv.status, inv.duration_ms, inv.memory_mb, inv.error, inv.console,
                               source=source, request=request if kept else None, tool=tool,
                               event=event if kept else None, replay_of=replay_of, summary=summary,
                               trace=trace.spans, debug=self._runtime.debugging(version)))
        return inv


def _mb(kb: int) -> float:
    return round(kb / 1024, 1)
