"""Reading JSON bodies and writing JSON responses, with the contract's errors.

Every JSON body the API takes comes through `read_json`, so its limits hold for every route: a
body nested deeper than `MAX_JSON_DEPTH` is a 400 naming the top-level field that holds the deep
part. Without it, a body that parses could fail later when it is written out again (orjson
writes at most 255 levels, PyJWT's `json` about 1000) and answer 500.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ..errors import BadRequest

__all__ = ["MAX_JSON_DEPTH", "json_response", "read_json"]

MAX_JSON_DEPTH = 64
"""Levels of arrays and objects a JSON body may nest, the body itself being level 1."""

_MISSING: Any = object()


async def read_json(request: web.Request, *, default: Any = _MISSING) -> Any:
    """The body as JSON; `default` when the body is empty and one is given."""
    raw = await request.read()
    if not raw.strip():
        if default is not _MISSING:
            return default
        raise BadRequest("body: required, a JSON object", "body")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body: malformed JSON ({exc})", "body") from None
    _check_depth(value)
    return value


def _check_depth(value: Any) -> None:
    """Walk without recursion (the point is to survive depth); name the top-level field."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "body")]
    while stack:
        node, depth, field = stack.pop()
        if isinstance(node, dict):
            children: Any = node.items()
        elif isinstance(node, list):
            children = enumerate(node)
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"{field}: nested deeper than {MAX_JSON_DEPTH} levels of arrays and objects",
                             field)
        top = depth == 1 and isinstance(node, dict)
        stack.extend((child, depth + 1, str(key) if top else field) for key, child in children)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, headers=headers,
                        content_type="application/json")
