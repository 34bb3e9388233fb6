"""`web` (Node): a Web `Request` in, a `Response` out (CONTRACT §5); a non-HTTP trigger's event
arrives as a POST whose JSON body is the event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...config import Config
from ...events.web import request_event, response_from_reply
from ..interpreters import node_worker
from ..platform_env import Platform
from ..requirements import Requirement
from .base import Call, Launch, Response

if TYPE_CHECKING:
    from ...registry.registry import FunctionVersion

__all__ = ["WebStyle"]


class WebStyle:
    name = "web"
    languages = frozenset({"node"})
    requires: Requirement | None = None
    file_stems: Mapping[str, str] = {"node": "index"}

    def launch(self, version: FunctionVersion, config: Config) -> Launch:
        return Launch.bootstrap(node_worker(version, config), f"{version.entry.stem}.default")

    def platform_vars(self, p: Platform) -> dict[str, str]:
        return {}

    def event(self, call: Call) -> Any:
        return request_event(call.request)

    def response(self, value: Any, call: Call) -> Response:
        return response_from_reply(value)
