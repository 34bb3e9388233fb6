"""`azure` (Python): `main(req: func.HttpRequest) -> func.HttpResponse` with the user's own
azure-functions (CONTRACT §5). The request URL has Azure's shape, `http://HOST/api/{name}/rest`;
the http trigger's `path` parameters are its `route_params`. A non-HTTP trigger's event arrives as
a POST whose JSON body is the event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...config import Config
from ...events.web import request_event, response_from_reply
from ..interpreters import python_worker
from ..platform_env import Platform, azure_vars
from ..requirements import Requirement
from .base import Call, Launch, Response

if TYPE_CHECKING:
    from ...registry.registry import FunctionVersion

__all__ = ["AzureStyle"]


class AzureStyle:
    name = "azure"
    languages = frozenset({"python"})
    requires: Requirement | None = Requirement("azure.functions", "azure-functions", "azure-functions")
    file_stems: Mapping[str, str] = {"python": "__init__"}

    def launch(self, version: FunctionVersion, config: Config) -> Launch:
        return Launch.bootstrap(python_worker(version, config, "main"), "main")

    def platform_vars(self, p: Platform) -> dict[str, str]:
        return azure_vars(p)

    def event(self, call: Call) -> Any:
        rest = call.request.path
        event = request_event(call.request, path=f"/api/{call.version.name}{'' if rest == '/' else rest}")
        route = call.version.spec.route
        # Azure's route parameters are the ones a route template names: the trigger's `path`
        event["route_params"] = (call.request.path_params or {}) if route and route.resource else {}
        return event

    def response(self, value: Any, call: Call) -> Response:
        return response_from_reply(value)
