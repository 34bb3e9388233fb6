"""`cgi` (CONTRACT §5): a script run once per request per CGI/1.1 (RFC 3875) by a warm runner,
runtime/bootstrap/cgi_worker.py. A non-HTTP trigger's event arrives as a POST whose JSON body is
the event (`X-Fnemu-Trigger` names the trigger).

The script runs in the runner's process group, so the worker's timeout kill covers it and whatever
it started; the runner kills what the script left running once it exits. What runs the script:
`.py` the emulator's Python (`--python`), `.js`/`.mjs`/`.cjs` node with the V8 heap sized to
memoryLimitMb, anything else (a folder's `NAME.cgi`) its own shebang.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...config import Config
from ...events.cgi import request_event
from ...events.web import response_from_reply
from ..interpreters import BOOTSTRAP, node_command
from ..platform_env import Platform, cgi_vars
from ..requirements import Requirement
from .base import Call, Launch, MalformedResponse, Response

if TYPE_CHECKING:
    from ...registry.registry import FunctionVersion

__all__ = ["CgiStyle"]

_NODE_SUFFIXES = frozenset({".js", ".mjs", ".cjs"})


class CgiStyle:
    name = "cgi"
    languages = frozenset({"python", "node"})
    file_stems: Mapping[str, str] = {"python": "index", "node": "index"}
    requires: Requirement | None = None

    def launch(self, version: FunctionVersion, config: Config) -> Launch:
        """argv: the runner, then how it runs the script (`python`, `node` or `exec`: the memory
        limit each can enforce) and the script's command line."""
        entry = str(version.entry)
        suffix = version.entry.suffix
        if suffix == ".py":
            kind, command = "python", [config.python, entry]
        elif suffix in _NODE_SUFFIXES:
            kind, command = "node", [*node_command(version, config), entry]
        else:
            kind, command = "exec", [entry]
        return Launch([config.python, str(BOOTSTRAP / "cgi_worker.py"), kind, *command], version.entry.name)

    def platform_vars(self, p: Platform) -> dict[str, str]:
        return cgi_vars(p)

    def event(self, call: Call) -> Any:
        return request_event(call.request)

    def response(self, value: Any, call: Call) -> Response:
        """The runner's `{status, headers, body}`, or `{error}` when the script failed (it exited
        non-zero, was killed, or wrote no valid CGI response): a 502 naming why."""
        if "error" in value:
            raise MalformedResponse(value["error"])
        return response_from_reply(value)
