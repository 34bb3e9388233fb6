"""A deploy body validated once, for the API, the folder and `fnemu deploy` alike (CONTRACT §3)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from ..errors import BadRequest, Conflict
from ..triggers import TRIGGER_TYPES, TRIGGERS
from ..triggers.http import HttpRoute
from .detect import detect_language, detect_runtime

__all__ = ["FunctionSpec", "TriggerSpec", "as_integer", "parse_spec", "validate_app_id", "validate_env_patch",
           "validate_name"]

Language = Literal["python", "node"]
HandlerStyle = Literal["web", "lambda", "gcf", "azure", "cgi"]
EventFormat = Literal["v1", "v2"]
ToolMode = Literal["read_only", "read_write"]
ToolAudience = Literal["developer_only", "end_user"]
LANGUAGES: tuple[Language, ...] = ("python", "node")
HANDLER_STYLES: tuple[HandlerStyle, ...] = ("web", "lambda", "gcf", "azure", "cgi")
_EVENT_FORMATS: tuple[EventFormat, ...] = ("v1", "v2")
_TOOL_MODES: tuple[ToolMode, ...] = ("read_only", "read_write")
_TOOL_AUDIENCES: tuple[ToolAudience, ...] = ("developer_only", "end_user")
_E = TypeVar("_E", bound=str)

NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
APP_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
TIMEOUT_RANGE = (1, 300_000)
MEMORY_RANGE = (64, 1024)
DESCRIPTION_MAX = 2000
AGENT_DESCRIPTION_MAX = 500
CODE_MAX_BYTES = 5 * 1024 * 1024

_STYLE_LANGUAGE: dict[str, Language] = {"web": "node", "gcf": "python", "azure": "python"}
"""Handler styles that exist in one language only (CONTRACT §5); lambda and cgi exist in both."""
_READ_ONLY = {"version", "createdAt", "updatedAt", "url", "source", "metrics", "deleted", "app_id", "loadError"}
_FIELDS = {
    "name", "code", "description", "envVars", "timeoutMs", "memoryLimitMb", "triggers", "trigger",
    "agent_tool", "agent_tool_description", "agent_tool_mode", "agent_tool_exposed_to",
    "language", "runtime", "eventFormat", "debug",
}


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    type: str
    config: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "config": dict(self.config)}


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """Everything a deploy body says, with defaults filled in; camelCase stays at the edge."""

    name: str
    code: str
    language: Language
    runtime: HandlerStyle
    description: str = ""
    env: Mapping[str, str] | None = None
    timeout_ms: int = 30_000
    memory_mb: int = 128
    triggers: tuple[TriggerSpec, ...] = (TriggerSpec("http", {"method": "ANY", "auth": "required"}),)
    event_format: EventFormat = "v1"
    agent_tool: bool = False
    agent_tool_description: str = ""
    agent_tool_mode: ToolMode = "read_only"
    agent_tool_exposed_to: ToolAudience = "developer_only"
    debug: bool = False
    """Its worker runs under a debugger (as with `fnemu start --debug NAME`)."""
    route: HttpRoute | None = HttpRoute.compile({"method": "ANY", "auth": "required"})
    """The http trigger compiled once per deploy; None when the function has no http trigger."""

    def trigger(self, type_: str) -> TriggerSpec | None:
        for t in self.triggers:
            if t.type == type_:
                return t
        return None


def validate_name(value: Any, field: str = "name") -> str:
    rule = "1-100 characters of letters, digits, '-' and '_'"
    if value is None:
        raise BadRequest(f"{field}: required, {rule}", field)
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise BadRequest(f"{field}: must be {rule}", field)
    return value


def validate_app_id(value: str) -> str:
    """An app id names a folder-like namespace in URLs, so it is held to a small ASCII set: 1-64
    letters, digits, '-', '_' and '.', and never `.` or `..` (CONTRACT §1)."""
    if not APP_ID_RE.fullmatch(value) or value in (".", ".."):
        raise BadRequest("app_id: must be 1-64 characters of ASCII letters, digits, '-', '_' and '.', "
                         "and not '.' or '..'", "app_id")
    return value


def as_integer(value: Any) -> int | None:
    """The one rule for integers in JSON bodies: an int, or a float with no fractional part
    (`3000.0`, as JSON Schema's `integer` allows); None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def parse_spec(body: Any, *, require_name: bool = True, name: str | None = None) -> FunctionSpec:
    """Validate a deploy body; BadRequest (400) naming the field and the rule, Conflict (409)
    for a second trigger of one type."""
    if not isinstance(body, Mapping):
        raise BadRequest("body: must be a JSON object", "body")
    for key in body:
        if key not in _FIELDS and key not in _READ_ONLY:
            raise BadRequest(f"{key}: unknown field", str(key))
    fn_name = validate_name(body.get("name") if name is None else name) if (require_name or name) else ""
    code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        raise BadRequest("code: required, a non-empty string of source code", "code")
    if len(code.encode()) > CODE_MAX_BYTES:
        raise BadRequest(f"code: must be at most {CODE_MAX_BYTES} bytes", "code")

    style = _enum(body, "runtime", HANDLER_STYLES)
    language = (_enum(body, "language", LANGUAGES)
                or _STYLE_LANGUAGE.get(style or "") or detect_language(code))
    if style is None:
        style = detect_runtime(code, language)
    elif _STYLE_LANGUAGE.get(style, language) != language:
        raise BadRequest(f"runtime: the {style} style is for {_STYLE_LANGUAGE[style]} functions, "
                         f"not {language}", "runtime")

    triggers = _triggers(body)
    http = next((t for t in triggers if t.type == "http"), None)
    return FunctionSpec(
        name=fn_name,
        code=code,
        language=language,
        runtime=style,
        description=_string(body, "description", DESCRIPTION_MAX, ""),
        env=_env(body["envVars"]) if "envVars" in body and body["envVars"] is not None else None,
        timeout_ms=_int(body, "timeoutMs", TIMEOUT_RANGE, 30_000),
        memory_mb=_int(body, "memoryLimitMb", MEMORY_RANGE, 128),
        triggers=triggers,
        route=HttpRoute.compile(http.config) if http else None,
        event_format=_enum(body, "eventFormat", _EVENT_FORMATS) or "v1",
        agent_tool=_bool(body, "agent_tool", False),
        agent_tool_description=_string(body, "agent_tool_description", AGENT_DESCRIPTION_MAX, ""),
        agent_tool_mode=_enum(body, "agent_tool_mode", _TOOL_MODES) or "read_only",
        agent_tool_exposed_to=_enum(body, "agent_tool_exposed_to", _TOOL_AUDIENCES) or "developer_only",
        debug=_bool(body, "debug", False),
    )


def validate_env_patch(body: Any) -> Mapping[str, str | None]:
    """The body of PATCH .../env: `{"envVars": {NAME: value | null}}`."""
    if not isinstance(body, Mapping):
        raise BadRequest("body: must be a JSON object", "body")
    for key in body:
        if key != "envVars":
            raise BadRequest(f"{key}: unknown field; the body is {{\"envVars\": {{...}}}}", str(key))
    if "envVars" not in body:
        raise BadRequest("envVars: required, an object of NAME: value (null deletes)", "envVars")
    return _env(body["envVars"], allow_null=True)


@overload
def _env(value: Any) -> Mapping[str, str]: ...
@overload
def _env(value: Any, *, allow_null: Literal[True]) -> Mapping[str, str | None]: ...
def _env(value: Any, *, allow_null: bool = False) -> Mapping[str, str | None]:
    if not isinstance(value, Mapping):
        raise BadRequest("envVars: must be an object of NAME: string", "envVars")
    out: dict[str, str | None] = {}
    for key, val in value.items():
        f = f"envVars.{key}"
        if not ENV_NAME_RE.fullmatch(key) or len(key) > 256:
            raise BadRequest(f"{f}: a variable name is letters, digits and '_', not starting with a digit", f)
        if val is None and allow_null:
            out[key] = None
        elif isinstance(val, str):
            if "\x00" in val:
                raise BadRequest(f"{f}: must not contain NUL characters", f)
            out[key] = val
        else:
            rule = "a string (null deletes)" if allow_null else "a string"
            raise BadRequest(f"{f}: must be {rule}", f)
    return out


def _triggers(body: Mapping[str, Any]) -> tuple[TriggerSpec, ...]:
    if body.get("triggers") is not None and body.get("trigger") is not None:
        raise BadRequest("trigger: give either triggers or the legacy trigger, not both", "trigger")
    if body.get("trigger") is not None:
        raw: Any = [body["trigger"]]
        prefix = "trigger"
    elif body.get("triggers") is not None:
        raw = body["triggers"]
        prefix = "triggers"
        if not isinstance(raw, list):
            raise BadRequest("triggers: must be an array of {type, config} objects", "triggers")
    else:
        raw = [{"type": "http", "config": {}}]
        prefix = "triggers"
    out: list[TriggerSpec] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        f = prefix if prefix == "trigger" else f"triggers[{i}]"
        if isinstance(item, str):
            item = {"type": item}
        if not isinstance(item, Mapping):
            raise BadRequest(f"{f}: must be an object {{\"type\": ..., \"config\": {{...}}}}", f)
        for key in item:
            if key not in ("type", "config"):
                raise BadRequest(f"{f}.{key}: unknown field; a trigger has type and config", f"{f}.{key}")
        type_ = item.get("type")
        if not isinstance(type_, str) or type_ not in TRIGGER_TYPES:
            raise BadRequest(f"{f}.type: unknown trigger type {type_!r}; one of {', '.join(TRIGGER_TYPES)}",
                             f"{f}.type")
        kind = TRIGGERS.get(type_)
        if kind is None:
            raise BadRequest(f"{f}.type: {type_} triggers are not available in this version of fnemu "
                             f"(available: {', '.join(TRIGGERS)})", f"{f}.type")
        if type_ in seen:
            raise Conflict(f"{f}.type: a function has at most one {type_} trigger", f"{f}.type")
        seen.add(type_)
        config = item.get("config", {})
        if config is None:
            config = {}
        if not isinstance(config, Mapping):
            raise BadRequest(f"{f}.config: must be an object", f"{f}.config")
        out.append(TriggerSpec(type_, kind.validate(config, f"{f}.config")))
    return tuple(out)


def _int(body: Mapping[str, Any], key: str, bounds: tuple[int, int], default: int) -> int:
    value = body.get(key)
    if value is None:
        return default
    number = as_integer(value)
    if number is None:
        raise BadRequest(f"{key}: must be an integer from {bounds[0]} to {bounds[1]}", key)
    if not bounds[0] <= number <= bounds[1]:
        raise BadRequest(f"{key}: must be from {bounds[0]} to {bounds[1]}, got {value}", key)
    return number


def _string(body: Mapping[str, Any], key: str, max_len: int, default: str) -> str:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise BadRequest(f"{key}: must be a string", key)
    if len(value) > max_len:
        raise BadRequest(f"{key}: must be at most {max_len} characters", key)
    return value


def _bool(body: Mapping[str, Any], key: str, default: bool) -> bool:
    value = body.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(f"{key}: must be true or false", key)
    return value


def _enum(body: Mapping[str, Any], key: str, allowed: tuple[_E, ...]) -> _E | None:
    """The allowed value the field names; None when it is absent or null (its default applies)."""
    value = body.get(key)
    if value is None:
        return None
    for choice in allowed:
        if value == choice:
            return choice
    raise BadRequest(f"{key}: must be one of {', '.join(allowed)}", key)
