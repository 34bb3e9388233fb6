"""Reading JSON bodies and writing JSON responses, with the contract's errors."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ..errors import BadRequest

__all__ = ["json_response", "read_json"]

_MISSING: Any = object()


async def read_json(request: web.Request, *, default: Any = _MISSING) -> Any:
    """The body as JSON; `default` when the body is empty and one is given."""
    raw = await request.read()
    if not raw.strip():
        if default is not _MISSING:
            return default
        raise BadRequest("body: required, a JSON object", "body")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"body: malformed JSON ({exc})", "body") from None


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, headers=headers,
                        content_type="application/json")
