"""`gcf` (Python): a function taking a Flask `request`, as Google Cloud Functions' Functions
Framework calls it; it returns anything Flask accepts (CONTRACT §5). The bootstrap builds the
request in the user's own Flask; a non-HTTP trigger's event arrives as a POST whose JSON body is
the event."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...config import Config
from ...events.web import request_event, response_from_reply
from ..interpreters import python_worker
from ..platform_env import Platform, gcf_vars
from ..requirements import Requirement
from .base import Call, Launch, Response

if TYPE_CHECKING:
    from ...registry.registry import FunctionVersion

__all__ = ["GcfStyle", "entry_points"]

_DECORATED = re.compile(r"^@functions_framework\.http[ \t]*\n(?:@.*\n)*(?:async[ \t]+)?def[ \t]+(\w+)", re.M)


def entry_points(name: str, code: str) -> list[str]:
    """The handler's possible names, in the order looked for: the function's own name (gcloud's
    default `--entry-point`), `main`, then functions marked `@functions_framework.http`."""
    names = [name.replace("-", "_"), "main", *_DECORATED.findall(code)]
    return list(dict.fromkeys(names))


def _defined(name: str, code: str) -> bool:
    return re.search(rf"^(?:async[ \t]+)?def[ \t]+{re.escape(name)}[ \t]*\(", code, re.M) is not None


class GcfStyle:
    name = "gcf"
    languages = frozenset({"python"})
    requires: Requirement | None = Requirement("flask", "flask", "Flask")
    file_stems: Mapping[str, str] = {"python": "main"}

    def launch(self, version: FunctionVersion, config: Config) -> Launch:
        """FUNCTION_TARGET is the first entry point the code defines (the first one looked for
        when none is a plain `def`)."""
        names = entry_points(version.name, version.spec.code)
        target = next((n for n in names if _defined(n, version.spec.code)), names[0])
        return Launch.bootstrap(python_worker(version, config, ",".join(names)), target)

    def platform_vars(self, p: Platform) -> dict[str, str]:
        return gcf_vars(p)

    def event(self, call: Call) -> Any:
        return request_event(call.request)

    def response(self, value: Any, call: Call) -> Response:
        return response_from_reply(value)
