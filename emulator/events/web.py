"""The raw HTTP request and response that the `web`, `gcf` and `azure` styles' bootstraps build
their runtime's own objects from (a Web `Request`, a `flask.Request`, an `azure.functions.HttpRequest`)
and reply with (CONTRACT §5).

These styles need the raw request, not an API Gateway event; the bytes travel as base64.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from .request import HttpRequest

__all__ = ["request_event", "response_from_reply"]

_PREFIX_HEADER = "X-Forwarded-Prefix"
_PATH_SAFE = "/:@!$&'()*+,;=~"
_FRAMING = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})
"""The body travels whole and fnemu frames the HTTP response itself."""


def _prefix(req: HttpRequest) -> str:
    """The function's `/fn/{name}` prefix: the full path without the part the function sees."""
    if req.path != "/" and req.full_path.endswith(req.path):
        return req.full_path[: -len(req.path)]
    return req.full_path.rstrip("/")


def _byte_string(value: str) -> str:
    """A header value as an HTTP server hands it over: one character per byte (latin-1), as
    Node's server and WSGI do; a Web `Headers` refuses characters above U+00FF."""
    return value if value.isascii() else value.encode("utf-8", "surrogateescape").decode("latin-1")


def request_event(req: HttpRequest, *, path: str | None = None) -> dict[str, Any]:
    """`{method, url, headers, body}`: the URL is `http://HOST/rest?query` (or `path` instead of
    the rest, for a platform that shows its own), with the prefix in X-Forwarded-Prefix; `body`
    is base64, or None when empty (the Node bootstrap drops it for GET/HEAD: a Web Request
    refuses one)."""
    url = f"http://{req.host}{quote(req.path if path is None else path, safe=_PATH_SAFE)}"
    if req.raw_query:
        url += f"?{req.raw_query}"
    headers = [[k, _byte_string(v)] for k, v in req.headers if k.lower() != "x-forwarded-prefix"]
    headers.append([_PREFIX_HEADER, _prefix(req)])
    body = base64.b64encode(req.body).decode("ascii") if req.body else None
    return {"method": req.method, "url": url, "headers": headers, "body": body}


def response_from_reply(reply: Mapping[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """The worker's `{status, headers, body}` (headers as pairs, body base64) as an HTTP response."""
    headers = [(str(k), str(v)) for k, v in reply["headers"] if str(k).lower() not in _FRAMING]
    return int(reply["status"]), headers, base64.b64decode(reply["body"])
