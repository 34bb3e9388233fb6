"""The interface of a trigger that fires on its own (cron, s3_upload), and what it is given.

A trigger service follows the registry (`attached`/`detached`, called synchronously as a deploy
or delete is accepted, so a deploy's side effects, like an S3 bucket, exist when it returns),
fires through `TriggerContext.invoker`, and never touches `runtime/` or the log store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from ..clock import Clock
from ..config import Config

if TYPE_CHECKING:
    from ..invoke import Invoker
    from ..registry.registry import Function, Registry

__all__ = ["TriggerContext", "TriggerService"]


@dataclass(frozen=True, slots=True)
class TriggerContext:
    config: Config
    clock: Clock
    registry: Registry
    invoker: Invoker


class TriggerService(Protocol):
    type: ClassVar[str]
    """The contract's trigger type, also the module's name (`s3_upload`)."""

    def attached(self, fn: Function) -> None:
        """Deployed or updated: (re)arm if the function has this trigger, disarm if it lost it.
        Functions loaded from the folder are attached before `start`."""

    def detached(self, fn: Function) -> None:
        """Deleted: disarm."""

    async def start(self) -> None:
        """The server is up (after the functions folder loaded)."""

    async def reset(self) -> None:
        """`POST /_emu/reset`: back to a fresh state (the clock has been reset already)."""

    async def close(self) -> None:
        """Shutdown: stop firing, release what `start` took."""
