"""What a handler style is: the small interface every entry of `STYLES` implements.

A style decides, on the emulator's side of the pipe, which process serves it (`launch`), the
platform's variables (`platform_vars`), what the worker gets for a request or a trigger's event
(`event`) and how the worker's reply becomes the HTTP response (`response`). The matching entry
on the other side is in the bootstrap its process runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ...config import Config
from ...events.apigw import MalformedResponse, Response
from ...events.request import HttpRequest
from ..platform_env import Platform
from ..requirements import Requirement

if TYPE_CHECKING:
    from ...registry.registry import FunctionVersion

__all__ = ["Call", "Launch", "MalformedResponse", "Response", "Style"]


@dataclass(frozen=True, slots=True)
class Call:
    """One invocation as a style sees it: the neutral request and, for a non-HTTP trigger (cron,
    s3_upload, ...), the platform's event that the request carries as its JSON body."""

    version: FunctionVersion
    request: HttpRequest
    event: dict[str, Any] | None
    request_id: str
    now: float


@dataclass(frozen=True, slots=True)
class Launch:
    """The process that serves a style, and the entry point's name as the platform shows it
    (Lambda's `_HANDLER`, Google's `FUNCTION_TARGET`). `load` is the function's own part of the
    load frame; `blank`: `argv` names no function, so a spare started with it can serve this one."""

    argv: list[str]
    handler: str
    load: Mapping[str, Any] = field(default_factory=dict)
    blank: bool = False

    @classmethod
    def bootstrap(cls, command: tuple[list[str], Mapping[str, Any]], handler: str) -> Launch:
        """A launch of one of the languages' bootstraps (interpreters.py): blank."""
        argv, load = command
        return cls(argv, handler, load, blank=True)


class Style(Protocol):
    name: str
    """The `runtime` value (CONTRACT §5)."""
    languages: frozenset[str]
    file_stems: Mapping[str, str]
    """Per language, the name (without suffix) the platform gives the code file:
    `lambda_function`, `index`, `main`, `__init__`."""
    requires: Requirement | None
    """The library the style's bootstrap needs in the functions' interpreter, checked at deploy."""

    def launch(self, version: FunctionVersion, config: Config) -> Launch: ...

    def platform_vars(self, p: Platform) -> dict[str, str]:
        """The variables the platform sets (platform_env.py is their one home)."""
        ...

    def event(self, call: Call) -> Any:
        """What the worker gets for this invocation (JSON)."""
        ...

    def response(self, value: Any, call: Call) -> Response:
        """The HTTP response for the worker's reply; MalformedResponse if it is not one."""
        ...
