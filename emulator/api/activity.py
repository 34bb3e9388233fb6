"""Requests that are not invocations but deserve a line in the terminal: a `/fn/` call refused
before any code ran (401, 404, 405, 413), a deploy or delete through the API, and with
`every_request` (`fnemu start --verbose`) every request, with its headers.

One middleware, inside the error middleware, sees each request's outcome (the response, or the
ApiError or HTTPException the error middleware turns into the envelope) and tells the
listeners; with no listener (the pytest plugin) it costs one attribute read.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from ..clock import Clock
from ..errors import ApiError

__all__ = ["Activity", "Call"]


@dataclass(frozen=True, slots=True)
class Call:
    """One request's line: `kind` is refused · deploy · delete · request (`every_request` only)."""

    timestamp: float
    kind: str
    function: str | None
    method: str
    path: str
    status: int
    duration_ms: float
    message: str | None = None
    """The error's message, when it failed."""
    version: int | None = None
    """A deploy's new version."""
    headers: tuple[tuple[str, str], ...] = ()
    """The request's headers, `every_request` only."""

    @property
    def described(self) -> str:
        """For people: `deploy v3`, `delete`, `refused POST /x`, `GET /v1/local/functions`."""
        if self.kind == "deploy" and self.version is not None:
            return f"deploy v{self.version}"
        if self.kind in ("deploy", "delete"):
            return self.kind
        return f"{self.method} {self.path}" if self.kind == "request" else f"{self.kind} {self.method} {self.path}"


Listener = Callable[[Call], None]


class Activity:
    """The listeners of request lines, and the middleware that feeds them."""

    __slots__ = ("_clock", "_kinds", "every_request", "listeners")

    def __init__(self, clock: Clock, kinds: Mapping[Handler, str]) -> None:
        """`kinds`: the handlers whose requests get a line, and its kind (refused · deploy ·
        delete); a `refused` handler's (`/fn/`) only when it raised: an invocation has its own."""
        self._clock = clock
        self._kinds = kinds
        self.listeners: list[Listener] = []
        self.every_request = False

    def middleware(self) -> Middleware:
        @web.middleware
        async def activity(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not self.listeners:
                return await handler(request)
            kind = self._kinds.get(request.match_info.handler, "request")
            started = time.perf_counter()
            try:
                response = await handler(request)
            except ApiError as exc:
                self._tell(request, kind, started, exc.status, exc.message)
                raise
            except web.HTTPException as exc:  # aiohttp's own: a body over the limit (413)
                self._tell(request, kind, started, exc.status, exc.text or exc.reason)
                raise
            if kind == "refused":  # it was not: the invocation has a line of its own
                kind = "request"
            self._tell(request, kind, started, response.status, None, response)
            return response

        return activity

    def _tell(self, request: web.Request, kind: str, started: float, status: int, message: str | None,
              response: web.StreamResponse | None = None) -> None:
        if kind == "request" and not self.every_request:
            return
        name = request.match_info.get("name")
        version = None
        if kind == "deploy" and isinstance(response, web.Response) and isinstance(response.body, bytes):
            created = orjson.loads(response.body)
            name, version = created["name"], created["version"]
        headers = tuple(_shown(k, v) for k, v in request.headers.items()) if self.every_request else ()
        path = "/" + request.match_info.get("rest", "") if kind == "refused" else request.path
        call = Call(self._clock.now(), kind, name, request.method, path, status,
                    round((time.perf_counter() - started) * 1000, 3), message, version, headers)
        for listener in self.listeners:
            listener(call)


def _shown(name: str, value: str) -> tuple[str, str]:
    """A header as the terminal shows it: a credential keeps its scheme only."""
    if name.lower() in ("authorization", "cookie", "x-api-key"):
        scheme, _, secret = value.partition(" ")
        return name, f"{scheme} ***" if secret else "***"
    return name, value
