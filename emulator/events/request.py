"""The neutral HTTP request every caller hands to `invoke`: the `/fn/` edge, test-invoke, triggers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["CLAIMS_HEADER", "HttpRequest", "is_text", "json_post", "read_request"]

CLAIMS_HEADER = "X-Fnemu-Claims"
"""Where the verified claims of an end-user token reach styles without an authorizer of their own
(CONTRACT §2); a caller's own header of that name never reaches a function."""
_CLAIMS = CLAIMS_HEADER.lower()

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "application/graphql", "application/x-ndjson")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """`path` is what the function sees (below its `/fn/{name}` prefix); `full_path` the real one."""

    method: str
    path: str
    full_path: str
    query: tuple[tuple[str, str], ...]
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    host: str
    resource: str | None = None
    path_params: dict[str, str] | None = None
    claims: Mapping[str, Any] | None = None
    """The verified claims of the caller's end-user token; each style puts them where its platform does."""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


def json_post(body: Any, *, host: str, full_path: str, headers: tuple[tuple[str, str], ...] = (),
              claims: Mapping[str, Any] | None = None) -> HttpRequest:
    """A `POST /` whose JSON body is `body`: what a function gets from a trigger, a tool call or
    the action."""
    return HttpRequest(
        method="POST",
        path="/",
        full_path=full_path,
        query=(),
        raw_query="",
        headers=(("Host", host), ("Content-Type", "application/json"), *headers),
        body=orjson.dumps(body),
        source_ip="127.0.0.1",
        host=host,
        claims=claims,
    )



async def read_request(request: web.Request, *, resource: str | None = None,
                       path_params: dict[str, str] | None = None,
                       claims: Mapping[str, Any] | None = None) -> HttpRequest:
    """A `/fn/` request as the function sees it: its path is the part below `/fn/{name}`."""
    raw_query = request.rel_url.raw_query_string
    headers = request.headers
    pairs = tuple(headers.items())
    if _CLAIMS in headers or not "".join(headers.values()).isascii():
        pairs = tuple((k, _text(v)) for k, v in pairs if k.lower() != _CLAIMS)
    return HttpRequest(
        method=request.method,
        path="/" + request.match_info.get("rest", ""),
        full_path=request.path,
        query=tuple(request.query.items()) if raw_query else (),
        raw_query=raw_query,
        headers=pairs,
        body=await request.read() if request.body_exists else b"",
        source_ip=request.remote or "127.0.0.1",
        host=request.host,
        resource=resource,
        path_params=path_params,
        claims=claims,
    )


def _text(value: str) -> str:
    """aiohttp keeps header bytes that are not UTF-8 as surrogates; the event is JSON, so they
    reach the function as U+FFFD."""
    return value if value.isascii() else value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_text(body: bytes, content_type: str | None) -> bool:
    """Whether a body travels as text rather than base64 (API Gateway's binary handling)."""
    if content_type:
        ctype = content_type.split(";", 1)[0].strip().lower()
        if not (ctype.startswith(_TEXT_TYPES) or ctype.endswith(("+json", "+xml"))):
            return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
