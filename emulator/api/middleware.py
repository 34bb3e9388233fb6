"""Every error leaves as `{"error": {"code", "message", "field"}}`; nothing escapes as a traceback."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from ..errors import ApiError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge
from ..keys import CONFIG
from .body import json_response

__all__ = ["error_middleware", "from_http_exception"]

_log = logging.getLogger("fnemu.api")


def from_http_exception(exc: web.HTTPException, request: web.Request) -> ApiError | None:
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        limit = request.app[CONFIG].max_body_bytes
        return PayloadTooLarge(f"body: larger than the limit of {limit} bytes (--max-body-mb)", "body")
    if isinstance(exc, web.HTTPMethodNotAllowed):
        return MethodNotAllowed(f"{request.method} is not allowed on {request.path}; "
                                f"allowed: {', '.join(sorted(exc.allowed_methods))}")
    if isinstance(exc, web.HTTPNotFound):
        return NotFound(f"no route for {request.method} {request.path}")
    return None


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return json_response(exc.to_json(), exc.status, exc.headers())
    except web.RequestPayloadError:
        error = BadRequest("body: could not be read; it does not match its Content-Encoding", "body")
        response = json_response(error.to_json(), error.status)
        response.force_close()  # the connection cannot be read past a broken body
        return response
    except web.HTTPException as exc:
        error = from_http_exception(exc, request)
        if error is None:
            raise
        headers = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return json_response(error.to_json(), error.status, headers)
    except Exception:
        _log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response({"error": {"code": "internal", "message": "internal emulator error; see the "
                                        "emulator's output", "field": None}}, 500)
