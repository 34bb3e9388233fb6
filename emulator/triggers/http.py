"""§6 http: the method, path and auth a function's `/fn/` URL answers to."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import BadRequest, MethodNotAllowed, NotFound
from .base import Admitted, Deployed, Trigger, TriggerContext, TriggerType

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["HTTP", "HttpRoute", "HttpTrigger", "METHODS", "validate"]

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_SEGMENT = re.compile(r"^(?:\{([A-Za-z_][A-Za-z0-9_]*)(\+)?\}|[A-Za-z0-9._~!$&'()*,;=:@%-]+)$")
_FIELDS = {"method", "path", "auth"}


def validate(config: Mapping[str, Any], field: str) -> dict[str, Any]:
    """The config with defaults filled in; BadRequest naming the field otherwise."""
    for key in config:
        if key not in _FIELDS:
            raise BadRequest(f"{field}.{key}: unknown http trigger field; allowed: auth, method, path",
                             f"{field}.{key}")
    out: dict[str, Any] = {}
    out["method"] = _methods(config.get("method", "ANY"), f"{field}.method")
    if config.get("path") is not None:
        out["path"] = _path(config["path"], f"{field}.path")
    auth = config.get("auth", "required")
    if auth not in ("required", "none"):
        raise BadRequest(f"{field}.auth: must be \"required\" or \"none\"", f"{field}.auth")
    out["auth"] = auth
    return out


def _methods(value: Any, field: str) -> str | list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise BadRequest(f"{field}: must be an HTTP method or a list of them", field)
    upper = [v.upper() for v in values]
    for v in upper:
        if v != "ANY" and v not in METHODS:
            raise BadRequest(f"{field}: unknown method {v!r}; use ANY or one of {', '.join(METHODS)}",
                             field)
    if "ANY" in upper:
        return "ANY"
    return upper[0] if not isinstance(value, list) else upper


def _path(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 1000:
        raise BadRequest(f"{field}: must be a path starting with \"/\" (e.g. \"/items/{{id}}\")", field)
    segments = [s for s in value.split("/") if s]
    names: set[str] = set()
    for i, segment in enumerate(segments):
        m = _SEGMENT.fullmatch(segment)
        if not m:
            raise BadRequest(f"{field}: bad segment {segment!r}; use literals, {{name}} or a final {{name+}}",
                             field)
        param, greedy = m.groups()
        if greedy and i != len(segments) - 1:
            raise BadRequest(f"{field}: a greedy {{{param}+}} must be the last segment", field)
        if param in names:
            raise BadRequest(f"{field}: the parameter {{{param}}} appears twice", field)
        if param:
            names.add(param)
    return "/" + "/".join(segments)


@dataclass(frozen=True, slots=True)
class HttpRoute:
    """An http trigger compiled once per version: what `/fn/` requests are checked against."""

    methods: frozenset[str] | None
    pattern: re.Pattern[str] | None
    resource: str | None
    auth_required: bool

    @classmethod
    def compile(cls, config: Mapping[str, Any]) -> HttpRoute:
        method = config.get("method", "ANY")
        methods = None if method == "ANY" else frozenset([method] if isinstance(method, str) else method)
        path = config.get("path")
        pattern = None
        if path is not None:
            regex = ""
            for segment in (s for s in path.split("/") if s):
                if segment.startswith("{"):
                    name = segment.strip("{}+")
                    regex += f"/(?P<{name}>.+)" if segment.endswith("+}") else f"/(?P<{name}>[^/]+)"
                else:
                    regex += "/" + re.escape(segment)
            pattern = re.compile(f"{regex}/?" if regex else "/", re.S)
        return cls(methods, pattern, path, config.get("auth", "required") == "required")

    def allowed(self) -> list[str]:
        """The Allow header's methods: HEAD goes wherever GET does."""
        if self.methods is None:
            return list(METHODS)
        return sorted(self.methods | {"HEAD"} if "GET" in self.methods else self.methods)

    def match(self, method: str, path: str) -> tuple[str | None, dict[str, str] | None]:
        """(resource, path parameters) for a request, or NotFound / MethodNotAllowed."""
        resource: str | None
        params: dict[str, str] | None
        if self.pattern is None:
            resource, params = ("/", None) if path == "/" else ("/{proxy+}", {"proxy": path[1:]})
        else:
            m = self.pattern.fullmatch(path)
            if m is None:
                raise NotFound(f"no route for {path} (the function's http trigger path is {self.resource})")
            resource, params = self.resource, (m.groupdict() or None)
        if self.methods is not None and method not in self.methods and not (
            method == "HEAD" and "GET" in self.methods
        ):
            raise MethodNotAllowed(
                f"{method} is not allowed by the function's http trigger; allowed: {', '.join(self.allowed())}",
                self.allowed(),
            )
        return resource, params


class HttpTrigger(Trigger):
    """Takes every `/fn/` request the other request triggers left: auth, then the route. The
    route is compiled once per deploy, with the spec (`FunctionSpec.route`), which test-invoke
    matches against too."""

    type: ClassVar[str] = "http"

    def __init__(self, context: TriggerContext) -> None:
        self._auth = context.auth

    def describe(self, fn: Deployed, base_url: str) -> str:
        """What the trigger answers to, and whether a caller needs a token (`public`: auth none)."""
        trigger = fn.current.spec.trigger("http")
        if trigger is None:
            return ""
        method, path = trigger.config.get("method", "ANY"), trigger.config.get("path")
        methods = "" if method == "ANY" else method if isinstance(method, str) else "|".join(method)
        answers = " ".join(part for part in (methods, path) if part)
        auth = "token" if trigger.config.get("auth", "required") == "required" else "public"
        return f"{answers}, {auth}" if answers else auth

    async def check(self, fn: Deployed, request: web.Request) -> Admitted | None:
        route = fn.current.spec.route
        if route is None:
            return None
        identity = self._auth.identify(request.headers.get("Authorization"))
        if route.auth_required and identity.kind == "anonymous":
            raise identity.unauthorized("this function's http trigger needs auth (the developer token or a valid "
                                        "end-user token)")
        resource, params = route.match(request.method, "/" + request.match_info.get("rest", ""))
        return Admitted("http", resource, params, claims=identity.claims)


HTTP = TriggerType("http", validate, HttpTrigger)
