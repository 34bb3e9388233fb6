"""The seed 000 action (CONTRACT §8): run a piece of Lambda-style code once, answer its result.

`POST /v1/action/serverless_function {language, serverless_code, output_variable_name, context?}`
runs the code as a `lambda` function with a v1 event whose body is `{"context": context}` as JSON,
and answers `{"status": statusCode, "response": {output_variable_name: body}}`. The code is
deployed once per (language, code) as a function of the app whose id is empty, which no route can
name; the newest `CACHE_SIZE` stay deployed, so running the same code again reuses its warm worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from ..errors import ApiError, BadRequest
from ..events.request import json_post
from ..invoke import Invocation, Invoker
from ..registry.registry import Function, Registry
from ..registry.spec import parse_spec

__all__ = ["ACTION_APP", "ACTION_PATH", "CACHE_SIZE", "Action", "ActionRunner", "action_error", "parse_action"]

ACTION_PATH = "/v1/action/serverless_function"
ACTION_APP = ""
"""No `/v1/{app_id}/...` route matches an empty segment: the action's functions are unreachable
by name, and an app called `action` is an ordinary app."""
CACHE_SIZE = 16
OUTPUT_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")
LANGUAGES = ("python", "node")
_FIELDS = ("language", "serverless_code", "output_variable_name", "context")


@dataclass(frozen=True, slots=True)
class Action:
    language: str
    code: str
    output: str
    context: Mapping[str, Any]


def parse_action(body: Any) -> Action:
    """The seed's schema: three required fields, `language` python|node, the output name's pattern."""
    if not isinstance(body, Mapping):
        raise BadRequest("body: must be a JSON object {language, serverless_code, output_variable_name, "
                         "context}", "body")
    for key in body:
        if key not in _FIELDS:
            raise BadRequest(f"{key}: unknown field; allowed: {', '.join(_FIELDS)}", str(key))
    for key in _FIELDS[:3]:
        if key not in body or body[key] is None:
            raise BadRequest(f"{key}: required", key)
    language = body["language"]
    if language not in LANGUAGES:
        raise BadRequest("language: must be one of python, node", "language")
    code = body["serverless_code"]
    if not isinstance(code, str) or not code.strip():
        raise BadRequest("serverless_code: must be a non-empty string of code", "serverless_code")
    output = body["output_variable_name"]
    if not isinstance(output, str) or not OUTPUT_NAME.fullmatch(output):
        raise BadRequest(f"output_variable_name: must match {OUTPUT_NAME.pattern} (e.g. function_result)",
                         "output_variable_name")
    context = body.get("context")
    if context is None:
        context = {}
    if not isinstance(context, Mapping):
        raise BadRequest("context: must be an object", "context")
    return Action(language, code, output, context)


def action_error(exc: ApiError) -> dict[str, Any]:
    """An error in the action's own envelope."""
    return {"status": exc.status, "response": exc.to_json()}


class ActionRunner:
    __slots__ = ("_invoker", "_lock", "_names", "_registry", "size")

    def __init__(self, registry: Registry, invoker: Invoker, size: int = CACHE_SIZE) -> None:
        self._registry = registry
        self._invoker = invoker
        self.size = size
        self._names: OrderedDict[str, None] = OrderedDict()
        self._lock = asyncio.Lock()

    async def run(self, action: Action) -> tuple[int, dict[str, Any]]:
        """(HTTP status, answer): 200 whenever the code returned (its statusCode is `status`), the
        invocation's status (500, 502, 504) when it failed."""
        fn = await self._function(action)
        request = json_post({"context": action.context}, host=self._invoker.host, full_path=ACTION_PATH)
        inv = await self._invoker.invoke(fn, request, "action", summary="action")
        return _answer(action, inv)

    async def _function(self, action: Action) -> Function:
        """The code's function, deployed on its first run; warm runs never wait for a deploy."""
        name = "action-" + hashlib.sha256(f"{action.language}\0{action.code}".encode()).hexdigest()[:24]
        fn = self._registry.find(ACTION_APP, name)
        if fn is None:
            async with self._lock:
                fn = self._registry.find(ACTION_APP, name) or await self._deploy(name, action)
        self._names[name] = None
        self._names.move_to_end(name)
        while len(self._names) > self.size:
            old, _ = self._names.popitem(last=False)
            if self._registry.find(ACTION_APP, old) is not None:
                self._registry.delete(ACTION_APP, old)
        return fn

    async def _deploy(self, name: str, action: Action) -> Function:
        body = {"name": name, "code": action.code, "language": action.language, "runtime": "lambda", "triggers": []}
        try:
            fn, _ = await self._registry.deploy(ACTION_APP, parse_spec(body))
        except BadRequest as exc:
            field = "serverless_code" if exc.field == "code" else exc.field
            raise type(exc)(f"{field}: {exc.message.removeprefix('code: ')}", field) from None
        return fn


def _answer(action: Action, inv: Invocation) -> tuple[int, dict[str, Any]]:
    if inv.failure is not None:
        error = {"code": inv.failure, "message": inv.error or inv.failure, "field": None}
        return inv.status, {"status": inv.status, "response": {"error": error}}
    try:
        value: Any = orjson.loads(inv.body)
    except orjson.JSONDecodeError:
        value = inv.body.decode("utf-8", "replace")
    return 200, {"status": inv.status, "response": {action.output: value}}
