"""Triggers: the running trigger of each type in TRIGGERS, for one emulator.

It follows the registry for every type (a `RegistryListener`), renders each trigger's part of the
function object and start-up table, and finds the request trigger that takes a `/fn/` request.
A running trigger is found by its `TriggerType` (`triggers[CRON]`), typed, never by a scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from ..errors import NotFound
from . import TRIGGERS
from .base import Admitted, Deployed, Trigger, TriggerContext, TriggerType

if TYPE_CHECKING:
    from aiohttp import web

    from ..registry.spec import FunctionSpec

__all__ = ["Triggers"]

T = TypeVar("T", bound=Trigger)


class Triggers:
    __slots__ = ("_by_request", "_running")

    def __init__(self, context: TriggerContext) -> None:
        self._running: dict[str, Trigger] = {name: t.make(context) for name, t in TRIGGERS.items()}
        self._by_request = [(name, t) for name, t in self._running.items()
                            if type(t).check is not Trigger.check]
        """The request-fired triggers, in table order: the only ones a `/fn/` request asks."""

    def __getitem__(self, kind: TriggerType[T]) -> T:
        # each entry was made by its own type's `make`, so the name fixes the class
        return cast(T, self._running[kind.name])

    async def preparing(self, spec: FunctionSpec) -> None:
        for trigger in self._running.values():
            await trigger.prepare(spec)

    def attached(self, fn: Deployed) -> None:
        for trigger in self._running.values():
            trigger.attach(fn)

    def detached(self, fn: Deployed) -> None:
        for trigger in self._running.values():
            trigger.detach(fn)

    def function_json(self, fn: Deployed, base_url: str, *, detail: bool = False) -> dict[str, Any]:
        """The function object, whose `triggers` carry what each trigger adds to its type and
        config (a webhook's `url`)."""
        out = fn.to_json(base_url, detail=detail)
        out["triggers"] = [{**t.to_json(), **self._running[t.type].render(fn, base_url)}
                           for t in fn.current.spec.triggers]
        return out

    def describe(self, fn: Deployed, base_url: str) -> list[str]:
        """The start-up table's trigger column: each type, and what it shows beside it (URLs
        relative to `base_url`: "" gives their paths)."""
        parts = []
        for t in fn.current.spec.triggers:
            detail = self._running[t.type].describe(fn, base_url)
            parts.append(f"{t.type} ({detail})" if detail else t.type)
        return parts

    async def check(self, fn: Deployed, request: web.Request) -> Admitted | web.StreamResponse:
        """The first of the function's request triggers (in TRIGGERS order) that takes the request."""
        spec = fn.current.spec
        for name, trigger in self._by_request:
            if spec.trigger(name) is not None:
                outcome = await trigger.check(fn, request)
                if outcome is not None:
                    return outcome
        raise NotFound(f"function {fn.name!r} has no http trigger", "name")

    async def start(self) -> None:
        for trigger in self._running.values():
            await trigger.start()

    async def reset(self) -> None:
        for trigger in self._running.values():
            await trigger.reset()

    async def close(self) -> None:
        for trigger in self._running.values():
            await trigger.close()
