"""Calls of `read_write` agent tools waiting for a person's decision (CONTRACT §9).

A call is held here, not run, until it is approved (it then runs once) or rejected. A decided id
is remembered (the newest `_DECIDED_KEPT`), so deciding it again is a conflict, not an unknown id.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..clock import Clock, iso
from ..errors import Conflict, NotFound

__all__ = ["Approval", "Approvals"]

_DECIDED_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class Approval:
    """One held tool call: what it will run with once approved."""

    id: str
    app_id: str
    function: str
    input: Any
    caller: str
    """`developer` or `end_user`."""
    authorization: str | None
    claims: Mapping[str, Any] | None
    created_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "app_id": self.app_id,
            "function": self.function,
            "input": self.input,
            "caller": self.caller,
            "sub": None if self.claims is None else self.claims.get("sub"),
            "createdAt": iso(self.created_at),
        }


class Approvals:
    __slots__ = ("_clock", "_decided", "_pending", "listeners")

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._pending: dict[str, Approval] = {}
        self._decided: OrderedDict[str, str] = OrderedDict()
        self.listeners: list[Callable[[Approval], None]] = []
        """Told of each new pending call (the terminal prints it)."""

    def hold(self, app_id: str, function: str, input_: Any, caller: str, authorization: str | None,
             claims: Mapping[str, Any] | None) -> Approval:
        approval = Approval(f"apr_{secrets.token_hex(8)}", app_id, function, input_, caller, authorization,
                            claims, self._clock.now())
        self._pending[approval.id] = approval
        for listener in self.listeners:
            listener(approval)
        return approval

    def pending(self) -> list[Approval]:
        """Oldest first."""
        return list(self._pending.values())

    def decide(self, approval_id: str, approve: bool) -> Approval:
        """Take a pending call off the list; NotFound for an unknown id, Conflict for a decided one."""
        approval = self._pending.pop(approval_id, None)
        if approval is None:
            decision = self._decided.get(approval_id)
            if decision is not None:
                raise Conflict(f"id: approval {approval_id} was already {decision}", "id")
            raise NotFound(f"id: no pending approval {approval_id!r}", "id")
        self._decided[approval_id] = "approved" if approve else "rejected"
        while len(self._decided) > _DECIDED_KEPT:
            self._decided.popitem(last=False)
        return approval

    def clear(self) -> None:
        self._pending.clear()
        self._decided.clear()
