"""The one interface every trigger type implements (STYLE B5), and what a trigger is given.

A trigger type is a `TriggerType` entry in `triggers.TRIGGERS`: a pure `validate` for its deploy
config, and the class of its one running `Trigger` per emulator. The running trigger follows the
registry (`attach` as a deploy or update is accepted, synchronously, so its side effects, like an
S3 bucket, exist when the deploy returns; `detach` on delete), renders its part of the function
object and start-up table, and fires through `TriggerContext.invoker`. A trigger fired by a
request (http, webhook, websocket) also implements `check`, which `api/fn.py` calls before `invoke`.

Nothing in `triggers/` imports the registry or `invoke.py`: what a trigger reads of a deployed
function is the `Deployed` protocol below, which `registry.Function` satisfies, so the pure
validators that `registry/spec.py` imports close no import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from ..clock import Clock
from ..config import Config
from ..events.request import HttpRequest

if TYPE_CHECKING:
    from aiohttp import web

    from ..api.auth import Auth
    from ..registry.spec import FunctionSpec

__all__ = ["Admitted", "Deployed", "EventInvoker", "Trigger", "TriggerContext",
           "TriggerType", "Validator"]

Validator = Callable[[Mapping[str, Any], str], dict[str, Any]]
"""(config, field) → the config with defaults filled in; BadRequest naming the field otherwise."""


class ConfiguredTrigger(Protocol):
    """One validated trigger of a version (`registry.spec.TriggerSpec`)."""

    @property
    def type(self) -> str: ...

    @property
    def config(self) -> Mapping[str, Any]: ...

    def to_json(self) -> dict[str, Any]: ...


class Route(Protocol):
    """A version's compiled http trigger (`triggers.http.HttpRoute`)."""

    @property
    def auth_required(self) -> bool: ...

    def match(self, method: str, path: str) -> tuple[str | None, dict[str, str] | None]: ...


class DeployedSpec(Protocol):
    @property
    def triggers(self) -> tuple[ConfiguredTrigger, ...]: ...

    @property
    def runtime(self) -> str:
        """The handler style: what an event-shaped answer means depends on it (websocket)."""
        ...

    @property
    def route(self) -> Route | None: ...

    def trigger(self, type_: str) -> ConfiguredTrigger | None: ...


class DeployedVersion(Protocol):
    @property
    def spec(self) -> DeployedSpec: ...


class Deployed(Protocol):
    """What a trigger reads of a deployed function (`registry.Function`)."""

    @property
    def app_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def current(self) -> DeployedVersion: ...

    def to_json(self, base_url: str, *, detail: bool = False) -> dict[str, Any]: ...


class EventInvoker(Protocol):
    """`invoke.Invoker` as a trigger sees it."""

    async def invoke_event(self, fn: Any, trigger: str, event: dict[str, Any], *,
                           summary: str | None = None) -> Any:
        """`summary`: the invocation in the trigger's words, for the terminal (`cron 09:00`)."""
        ...

    async def invoke(self, fn: Any, request: HttpRequest, trigger: str, *,
                     event: dict[str, Any] | None = None, summary: str | None = None) -> Any:
        """A trigger whose non-lambda handlers get a request of its own (websocket: the frame as
        the body), beside the event `lambda` handlers get."""
        ...


@dataclass(frozen=True, slots=True)
class TriggerContext:
    config: Config
    clock: Clock
    invoker: EventInvoker
    auth: Auth
    """Who a request's Authorization header names (developer, end user with claims, anonymous),
    and the emulator's signing secret."""


@dataclass(frozen=True, slots=True)
class Admitted:
    """A request a request-fired trigger accepted: invoke the function with it, logged as
    `trigger` (and, for a webhook, the `source` whose signature matched)."""

    trigger: str
    resource: str | None = None
    path_params: dict[str, str] | None = None
    source: str | None = None
    claims: Mapping[str, Any] | None = None
    """An end-user token's verified claims: the function sees them as its platform's authorizer's."""
    summary: str | None = None
    """The invocation in the trigger's words, for the terminal (`webhook github`); None: the
    trigger, method and path."""


class Trigger(Protocol):
    """The running trigger of one type. Subclasses inherit the no-op defaults they don't need."""

    type: ClassVar[str]
    """The contract's trigger type, also the module's name (`s3_upload`)."""

    async def prepare(self, spec: FunctionSpec) -> None:
        """A version with this spec is about to be accepted: start, off the loop, what its trigger
        of this type needs (the fake S3), so that `attach` never blocks."""

    def attach(self, fn: Deployed) -> None:
        """Deployed or updated: (re)arm if the function's current version has this trigger,
        disarm if it lost it. Functions loaded from the folder are attached before `start`."""

    def detach(self, fn: Deployed) -> None:
        """Deleted: disarm and release what `attach` kept for the function."""

    def render(self, fn: Deployed, base_url: str) -> dict[str, Any]:
        """Fields this trigger adds to its object in the function object (a webhook's `url`)."""
        return {}

    def describe(self, fn: Deployed, base_url: str) -> str:
        """What the start-up table shows beside the trigger's type (a cron's next fire)."""
        return ""

    async def check(self, fn: Deployed, request: web.Request) -> Admitted | web.StreamResponse | None:
        """Only for a trigger fired by a request to the function's `/fn/` URL (http, webhook,
        websocket): `api/fn.py` calls it, before any code runs, for a function that has this
        trigger. None: not this trigger's request (the next one is asked; every other trigger
        type keeps this default). Admitted: invoke with it. A response: the trigger served the
        request itself (a WebSocket upgrade). Raises an ApiError (401, 404, 405) to refuse it."""
        return None

    async def start(self) -> None:
        """The server is up (after the functions folder loaded)."""

    async def reset(self) -> None:
        """`POST /_emu/reset`: back to a fresh state (the clock has been reset already)."""

    async def close(self) -> None:
        """Shutdown: stop firing, release what `start` and `attach` took."""


T = TypeVar("T", bound=Trigger)


@dataclass(frozen=True, slots=True)
class TriggerType(Generic[T]):
    """One line of `TRIGGERS`; also the typed key of its running trigger (`triggers[CRON]`)."""

    name: str
    validate: Validator
    make: Callable[[TriggerContext], T]
