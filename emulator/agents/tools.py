"""Functions as agent tools (CONTRACT §9): who may see and call which, and the call itself.

A tool call is an ordinary invocation (trigger `invoke`): the function gets a `POST /` whose JSON
body is the input, with the caller's Authorization and, for an end-user token, its claims.
Its log entry keeps the caller's kind and the input (`tool`).
"""

from __future__ import annotations

from typing import Any

from ..api.auth import Identity
from ..errors import Forbidden, NotFound
from ..events.request import json_post
from ..invoke import Invocation, Invoker
from ..registry.registry import Function, Registry
from ..urls import function_path

__all__ = ["call_tool", "caller_kind", "find_tool", "may_call", "tool_json", "tools"]


def tool_json(fn: Function) -> dict[str, Any]:
    """How an agent sees a tool; the description falls back to the function's own."""
    spec = fn.current.spec
    return {"name": fn.name, "description": spec.agent_tool_description or spec.description,
            "mode": spec.agent_tool_mode, "exposed_to": spec.agent_tool_exposed_to}


def caller_kind(identity: Identity) -> str:
    return "end_user" if identity.kind == "user" else identity.kind


def may_call(fn: Function, identity: Identity) -> bool:
    """The developer token calls any tool; an end-user token only `end_user` ones."""
    return identity.kind == "developer" or fn.current.spec.agent_tool_exposed_to == "end_user"


def tools(registry: Registry, app_id: str, identity: Identity) -> list[Function]:
    """The app's tools this caller may call."""
    return [fn for fn in registry.list(app_id) if fn.current.spec.agent_tool and may_call(fn, identity)]


def find_tool(registry: Registry, app_id: str, name: str, identity: Identity) -> Function:
    """NotFound unless the function is a tool; Forbidden if this caller may not call it."""
    fn = registry.find(app_id, name)
    if fn is None or not fn.current.spec.agent_tool:
        why = "not found" if fn is None else "not an agent tool (deploy it with agent_tool: true)"
        raise NotFound(f"tool {name!r} in app {app_id!r}: {why}", "name")
    if not may_call(fn, identity):
        raise Forbidden(f"tool {name!r} is exposed to developer_only; an end-user token cannot call it")
    return fn


async def call_tool(invoker: Invoker, fn: Function, input_: Any, *, caller: str, authorization: str | None,
                    claims: Any, approval_id: str | None = None) -> Invocation:
    headers = () if authorization is None else (("Authorization", authorization),)
    request = json_post(input_, host=invoker.host, full_path=function_path(fn.app_id, fn.name), headers=headers,
                        claims=claims)
    tool: dict[str, Any] = {"caller": caller, "input": input_}
    if approval_id is not None:
        tool["approval_id"] = approval_id
    return await invoker.invoke(fn, request, "invoke", tool=tool, summary=f"tool {caller}")
