"""Replay (CONTRACT §13): a logged invocation run again, against the function's current version.

The log entry kept the request, and a non-HTTP trigger's event (logstore.py, up to
KEPT_BODY_BYTES); a replay hands the same to the one invoke path under the same trigger, and its
own entry names the one it replays (`replay_of`). A webhook delivery signed by its source is
signed afresh (a Stripe or Slack delivery's timestamp has expired by then), with the function's
secret; a request to an http route is matched against the current version's route.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Protocol

from .errors import Conflict, MethodNotAllowed, NotFound
from .events.request import HttpRequest
from .invoke import Invocation, Invoker
from .logstore import KEPT_BODY_BYTES, LogEntry
from .registry.registry import Function
from .triggers.signatures import resign

__all__ = ["Secrets", "replay", "routed"]


class Secrets(Protocol):
    """The webhook trigger as a replay sees it: the function's current secret."""

    def secret(self, fn: Function) -> str | None: ...


def routed(fn: Function, request: HttpRequest) -> HttpRequest:
    """The request with the resource and path parameters of the function's http route, when it
    has one that takes the request (test-invoke and replay run whatever the route says)."""
    route = fn.current.spec.route
    if route is None:
        return request
    try:
        resource, params = route.match(request.method, request.path)
    except (NotFound, MethodNotAllowed):
        return request
    return replace(request, resource=resource, path_params=params)


async def replay(entry: LogEntry, fn: Function, invoker: Invoker, webhooks: Secrets) -> Invocation:
    """Run `entry` (of `fn`) again; Conflict naming `id` when it cannot be."""
    request = entry.request
    if request is None:
        raise Conflict(f"id: invocation {entry.id!r} cannot be replayed: its request body was larger than "
                       f"{KEPT_BODY_BYTES // 1024} KiB, so it was not kept", "id")
    if entry.trigger == "webhook":
        if fn.current.spec.trigger("webhook") is None:
            raise Conflict(f"id: invocation {entry.id!r} was a webhook delivery and function {fn.name!r} no "
                           "longer has a webhook trigger", "id")
        secret = webhooks.secret(fn)
        if entry.source is not None and secret is not None:
            headers = resign(entry.source, secret, list(request.headers), request.body, timestamp=int(time.time()))
            request = replace(request, headers=tuple(headers))
    elif entry.event is None:
        request = routed(fn, request)
    return await invoker.invoke(fn, request, entry.trigger, event=entry.event, source=entry.source,
                                tool=entry.tool, replay_of=entry.id)
