"""API Gateway proxy integration: the Lambda event for a request (REST v1 or HTTP API v2), and
the HTTP response for a Lambda result. One shape for Python and Node alike.

The events hold, key by key, to AWS's published samples (`tests/events/aws/`, compared by
`tests/events/test_aws_shapes.py`): null where AWS sends null, absent where AWS leaves a key out.
An app plays the API: its id is the `apiId`, and the REST (v1) stage name.
"""

from __future__ import annotations

import base64
import functools
import binascii
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import orjson

from .request import HttpRequest, is_text

__all__ = ["MalformedResponse", "event_v1", "event_v2", "request_from_event", "request_time", "response_from_result"]

ACCOUNT_ID = "000000000000"
HTTP_API_STAGE = "$default"
"""The v2 stage. HTTP API routers (Powertools' `APIGatewayHttpResolver`) strip `/{stage}` from
`rawPath` for any other stage, and `rawPath` is already the path below `/fn/{name}`."""
_HOP_BY_HOP = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive"})

Response = tuple[int, list[tuple[str, str]], bytes]


class MalformedResponse(ValueError):
    """The handler returned something API Gateway would answer 502 to."""


def _body(req: HttpRequest) -> tuple[str | None, bool]:
    if not req.body:
        return None, False
    if is_text(req.body, req.header("content-type")):
        return req.body.decode("utf-8"), False
    return base64.b64encode(req.body).decode("ascii"), True


@functools.lru_cache(maxsize=4)
def _request_time_of(second: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))


def request_time(ts: float) -> str:
    """API Gateway's `requestTime`, formatted once per second."""
    return _request_time_of(int(ts))


def _domain_prefix(host: str) -> str:
    return host.split(".", 1)[0].split(":", 1)[0]


def event_v1(req: HttpRequest, *, request_id: str, app_id: str, now: float) -> dict[str, Any]:
    """REST API (v1) proxy event, every field AWS sends: absent values are null, and
    `authorizer` is `{"claims": null, "scopes": null}` when no authorizer ran; its `claims` are
    the end-user token's verified claims (a Cognito user pool authorizer's place)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for key, value in req.headers:
        headers[key] = value
        multi_headers.setdefault(key, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for key, value in req.query:
        query[key] = value
        multi_query.setdefault(key, []).append(value)
    body, b64 = _body(req)
    resource = req.resource or ("/" if req.path == "/" else "/{proxy+}")
    user_agent = req.header("user-agent")
    return {
        "resource": resource,
        "path": req.path,
        "httpMethod": req.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": req.path_params,
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": app_id,
            "resourceId": "fnemu",
            "resourcePath": resource,
            "httpMethod": req.method,
            "extendedRequestId": request_id,
            "requestId": request_id,
            "requestTime": request_time(now),
            "requestTimeEpoch": int(now * 1000),
            "path": req.full_path,
            "protocol": "HTTP/1.1",
            "stage": app_id,
            "domainName": req.host,
            "domainPrefix": _domain_prefix(req.host),
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": req.source_ip,
                "user": None,
                "userAgent": user_agent,
                "userArn": None,
            },
            "authorizer": {"claims": None if req.claims is None else dict(req.claims), "scopes": None},
        },
        "body": body,
        "isBase64Encoded": b64,
    }


def event_v2(req: HttpRequest, *, request_id: str, app_id: str, now: float) -> dict[str, Any]:
    """HTTP API (v2) proxy event: lower-case headers joined by commas, cookies apart; keys the
    request has no value for (`cookies`, `queryStringParameters`, `pathParameters`, `body`) are
    left out, as AWS leaves them out. `requestContext.path` (the full path) is fnemu's own. An
    end-user token's verified claims are `requestContext.authorizer.jwt.claims`, as a JWT
    authorizer puts them (`scopes` null: fnemu routes require none)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in req.headers:
        lkey = key.lower()
        if lkey == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[lkey] = f"{headers[lkey]},{value}" if lkey in headers else value
    query: dict[str, str] = {}
    for key, value in req.query:
        query[key] = f"{query[key]},{value}" if key in query else value
    body, b64 = _body(req)
    route_key = f"ANY {req.resource}" if req.resource else "$default"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": req.path,
        "rawQueryString": req.raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": app_id,
            "domainName": req.host,
            "domainPrefix": _domain_prefix(req.host),
            "http": {
                "method": req.method,
                "path": req.path,
                "protocol": "HTTP/1.1",
                "sourceIp": req.source_ip,
                "userAgent": req.header("user-agent") or "",
            },
            "path": req.full_path,
            "requestId": request_id,
            "routeKey": route_key,
            "stage": HTTP_API_STAGE,
            "time": request_time(now),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": b64,
    }
    if req.claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": dict(req.claims), "scopes": None}}
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if req.path_params:
        event["pathParameters"] = req.path_params
    if body is not None:
        event["body"] = body
    return event


def request_from_event(event: dict[str, Any], *, v2: bool, host: str, full_path: str) -> HttpRequest:
    """An event read back into the request it stands for (`fnemu invoke --event`): method, path,
    query, headers, body, claims, and a route's resource and path parameters. Handed to the
    function's style, a `lambda` handler gets the same event again (ids and times aside).
    The host and the function's own path are those of the emulator and the function it goes to,
    as its trigger would give them; KeyError, TypeError or ValueError when it is not an event of
    the shape."""
    context = event.get("requestContext") or {}
    headers: list[tuple[str, str]] = []
    if v2:
        method, path = context["http"]["method"], event["rawPath"]
        query = parse_qsl(event.get("rawQueryString") or "", keep_blank_values=True)
        headers.extend((k, str(v)) for k, v in (event.get("headers") or {}).items())
        if event.get("cookies"):
            headers.append(("cookie", "; ".join(event["cookies"])))
        source_ip = context.get("http", {}).get("sourceIp")
        claims = ((context.get("authorizer") or {}).get("jwt") or {}).get("claims")
        route_key = event.get("routeKey") or "$default"
        resource = route_key.split(" ", 1)[1] if " " in route_key else None
    else:
        method, path = event["httpMethod"], event["path"]
        multi_query = event.get("multiValueQueryStringParameters") or {
            k: [v] for k, v in (event.get("queryStringParameters") or {}).items()}
        query = [(k, str(v)) for k, values in multi_query.items() for v in values]
        multi_headers = event.get("multiValueHeaders") or {k: [v] for k, v in (event.get("headers") or {}).items()}
        headers.extend((k, str(v)) for k, values in multi_headers.items() for v in values)
        source_ip = (context.get("identity") or {}).get("sourceIp")
        claims = (context.get("authorizer") or {}).get("claims")
        resource = event.get("resource")
    raw = event.get("body")
    body = b"" if raw is None else base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode()
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValueError("the path must start with /")
    params = event.get("pathParameters") or None
    if not isinstance(claims, dict | None) or not isinstance(params, dict | None):
        raise ValueError("the claims and pathParameters must be objects")
    return HttpRequest(
        method=str(method).upper(), path=path,
        full_path=full_path + ("" if path == "/" else path),
        query=tuple(query), raw_query=urlencode(query), headers=tuple(headers), body=body,
        source_ip=str(source_ip or "127.0.0.1"), host=host,
        resource=resource,
        path_params=params and {str(k): str(v) for k, v in params.items()}, claims=claims)


def response_from_result(value: Any, *, v2: bool) -> Response:
    """The HTTP response for a handler's return value (decoded JSON), as API Gateway builds it."""
    if type(value) is not dict or "statusCode" not in value:
        if v2:
            body = value.encode() if isinstance(value, str) else orjson.dumps(value)
            return 200, [("Content-Type", "application/json")], body
        raise MalformedResponse(
            f"the handler returned {_returned(value)}: called over HTTP, a lambda handler returns "
            '{"statusCode": 200, "body": "..."} (eventFormat v2 also takes any value as JSON)')
    status = value["statusCode"]
    if type(status) is not int:
        status = int(status) if isinstance(status, str) and status.isdigit() else None
    if status is None or not 100 <= status <= 599:
        raise MalformedResponse("malformed Lambda proxy response: statusCode must be an HTTP status, "
                                f"got {value['statusCode']!r}")
    headers: list[tuple[str, str]] = []
    single = value.get("headers") or {}
    multi = value.get("multiValueHeaders") or {}
    if type(single) is not dict or type(multi) is not dict:
        raise MalformedResponse("malformed Lambda proxy response: headers must be an object")
    for key, vals in multi.items():
        if type(vals) is not list:
            raise MalformedResponse(f"malformed Lambda proxy response: multiValueHeaders.{key} must be a list")
        if key.lower() not in _HOP_BY_HOP:
            headers.extend((key, _header_value(v)) for v in vals)
    seen = {k.lower() for k in multi} if multi else ()
    for key, val in single.items():
        lkey = key.lower()
        if lkey not in seen and lkey not in _HOP_BY_HOP:
            headers.append((key, _header_value(val)))
    if v2:
        cookies = value.get("cookies") or []
        if type(cookies) is not list:
            raise MalformedResponse("malformed Lambda proxy response: cookies must be a list")
        headers.extend(("Set-Cookie", str(c)) for c in cookies)
    raw = value.get("body")
    if raw is None:
        body = b""
    elif type(raw) is str:
        if value.get("isBase64Encoded"):
            try:
                body = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise MalformedResponse("malformed Lambda proxy response: isBase64Encoded but body is not base64") from None
        else:
            body = raw.encode("utf-8", errors="surrogatepass")
    elif v2:
        body = orjson.dumps(raw)
    else:
        raise MalformedResponse(
            f"malformed Lambda proxy response: body must be a string, got {type(raw).__name__} "
            "(json.dumps it, or deploy with eventFormat v2)")
    return status, headers, body


def _returned(value: Any) -> str:
    """What a handler returned, in words for its author (Python's and JavaScript's names)."""
    if value is None:
        return "None (null) instead of a response"
    if type(value) is dict:
        return "a dict (object) without statusCode"
    kind = {list: "a list (array)", str: "a string", bool: "a boolean"}.get(type(value), "a number")
    return f"{kind} instead of a response object"


def _header_value(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
