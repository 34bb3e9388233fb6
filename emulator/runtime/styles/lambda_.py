"""`lambda` (Python and Node): an API Gateway proxy event in, a proxy result out (CONTRACT §5);
a non-HTTP trigger's own AWS event in, its return value as a JSON body out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson

from ...config import Config
from ...events.apigw import event_v1, event_v2, response_from_result
from ..interpreters import node_worker, python_worker
from ..platform_env import Platform, lambda_vars
from ..requirements import Requirement
from .base import Call, Launch, Response

if TYPE_CHECKING:
    from ...registry.registry import FunctionVersion

__all__ = ["LambdaStyle"]

_PYTHON_HANDLERS = "lambda_handler,handler"
_JSON = [("Content-Type", "application/json")]


class LambdaStyle:
    name = "lambda"
    languages = frozenset({"python", "node"})
    requires: Requirement | None = None
    file_stems: Mapping[str, str] = {"python": "lambda_function", "node": "index"}

    def launch(self, version: FunctionVersion, config: Config) -> Launch:
        stem = version.entry.stem
        if version.spec.language == "python":
            return Launch.bootstrap(python_worker(version, config, _PYTHON_HANDLERS),
                                    f"{stem}.{_PYTHON_HANDLERS.split(',')[0]}")
        return Launch.bootstrap(node_worker(version, config), f"{stem}.handler")

    def platform_vars(self, p: Platform) -> dict[str, str]:
        return lambda_vars(p)

    def event(self, call: Call) -> Any:
        if call.event is not None:
            return call.event
        shape = event_v2 if call.version.spec.event_format == "v2" else event_v1
        return shape(call.request, request_id=call.request_id, app_id=call.version.app_id, now=call.now)

    def response(self, value: Any, call: Call) -> Response:
        if call.event is not None:
            return 200, list(_JSON), orjson.dumps(value)
        return response_from_result(value, v2=call.version.spec.event_format == "v2")
