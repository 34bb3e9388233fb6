"""Every error leaves as `{"error": {"code", "message", "field"}}`; nothing escapes as a traceback.

The middleware is also where every route's `{app_id}` is checked, once, before any handler runs:
no handler can forget it, and an app id never reaches the registry (or a path) unchecked.
"""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage, BadHttpMethod, InvalidURLError, LineTooLong, PayloadEncodingError
from aiohttp.typedefs import Handler

from ..errors import ApiError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge
from ..keys import CONFIG
from ..registry.spec import validate_app_id
from .body import json_response

__all__ = ["error_middleware", "from_http_exception", "protocol_error"]

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
        app_id = request.match_info.get("app_id")
        if app_id is not None:
            validate_app_id(app_id)
        return await handler(request)
    except ApiError as exc:
        return json_response(exc.to_json(), exc.status, exc.headers())
    except web.RequestPayloadError:
        unreadable = BadRequest("body: could not be read; it does not match its Content-Encoding", "body")
        response = json_response(unreadable.to_json(), unreadable.status)
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


def protocol_error(request: web.BaseRequest, status: int, exc: BaseException | None,
                   message: str | None) -> web.Response:
    """The answer to a request aiohttp could not parse (it never reached a route): the envelope,
    with one log line, and the connection closed (the rest of its bytes cannot be trusted)."""
    raw = message or str(exc or "") or "the request could not be read"
    text = " ".join(line.strip() for line in raw.splitlines() if line.strip().strip("^"))  # no caret line
    field = _protocol_field(exc)
    if field is not None:
        text = f"{field}: {text}"
    _log.warning("%s from %s: %s", status, request.remote, text)
    code = {400: BadRequest.code, 413: PayloadTooLarge.code}.get(status, "internal")
    response = json_response({"error": {"code": code, "message": text, "field": field}}, status)
    response.force_close()
    return response


def _protocol_field(exc: BaseException | None) -> str | None:
    """Which part of the request the parser refused, from the kind of its error."""
    if isinstance(exc, InvalidURLError):
        return "url"
    if isinstance(exc, BadHttpMethod):
        return "method"
    if isinstance(exc, LineTooLong):
        # aiohttp's C parser hands over the start of the line: the request target it gathers in a
        # bytearray, a header name or value as bytes (tests/test_server.py holds it to that)
        return "url" if exc.args and isinstance(exc.args[0], bytearray) else "headers"
    if isinstance(exc, PayloadEncodingError):
        return "body"
    if isinstance(exc, BadHttpMessage):
        text = exc.message.lower()
        if "chunk" in text:
            return "body"
        if any(word in text for word in ("header", "content-length", "transfer-encoding")):
            return "headers"
    return None
