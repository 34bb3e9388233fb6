"""The `cgi` handler style's request: CGI/1.1 meta-variables (RFC 3875 §4.1) from the neutral request.

Pure: the runner (runtime/bootstrap/cgi_worker.py) puts these, the function's envVars and the
platform's fixed variables (GATEWAY_INTERFACE, SERVER_SOFTWARE: runtime/platform_env.py) in the
script's environment, and the body on its stdin.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from .request import HttpRequest
from .web import _PATH_SAFE, _prefix

__all__ = ["meta_variables", "request_event"]

_OWN_VARIABLES = frozenset({"content-type", "content-length"})
"""Headers that become CONTENT_TYPE / CONTENT_LENGTH rather than HTTP_* (RFC 3875 §4.1.18)."""
_DROPPED = frozenset({"proxy"})
"""`Proxy: ...` would become HTTP_PROXY, which HTTP clients read as their proxy ("httpoxy")."""


def meta_variables(req: HttpRequest) -> dict[str, str]:
    """The request's meta-variables. SCRIPT_NAME is the function's `/fn/{name}` prefix and
    PATH_INFO the (decoded) path below it, `/` when there is none (CONTRACT §5); CONTENT_LENGTH
    and CONTENT_TYPE are set only with a body / a Content-Type; repeated headers are joined with
    ", " as HTTP allows. The caller's Authorization reaches the script as HTTP_AUTHORIZATION
    (CONTRACT §2), with its scheme in AUTH_TYPE."""
    server_name, _, server_port = req.host.rpartition(":")
    if not server_name or not server_port.isdigit():
        server_name, server_port = req.host, "80"
    script_name = _prefix(req)
    request_uri = quote(req.full_path, safe=_PATH_SAFE)
    if req.raw_query:
        request_uri += f"?{req.raw_query}"
    env = {
        "REQUEST_METHOD": req.method,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": req.path,
        "QUERY_STRING": req.raw_query,
        "REQUEST_URI": request_uri,
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": req.source_ip,
        "REMOTE_HOST": req.source_ip,
    }
    if req.body:
        env["CONTENT_LENGTH"] = str(len(req.body))
    headers: dict[str, str] = {}
    for name, value in req.headers:
        lname = name.lower()
        if lname == "content-type":
            env["CONTENT_TYPE"] = value
        if lname in _OWN_VARIABLES or lname in _DROPPED:
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    env.update(headers)
    authorization = req.header("Authorization")
    if authorization:
        env["AUTH_TYPE"] = authorization.split(" ", 1)[0]
    return env


def request_event(req: HttpRequest) -> dict[str, Any]:
    """What the runner gets: `{env, body}`, the meta-variables and the body as base64."""
    return {"env": meta_variables(req), "body": base64.b64encode(req.body).decode("ascii")}
