"""Query-string parameters read one way everywhere: a bad value is a 400 naming the parameter."""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import BadRequest

__all__ = ["query_bool", "query_int", "query_level"]


def query_int(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()):
        raise BadRequest(f"{name}: must be an integer from {low} to {high}", name)
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest(f"{name}: must be from {low} to {high}, got {value}", name)
    return value


def query_bool(query: Mapping[str, str], name: str) -> bool:
    raw = query.get(name)
    if raw is None or raw == "":
        return False
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise BadRequest(f"{name}: must be true or false", name)


def query_level(query: Mapping[str, str]) -> bool:
    """`level=error|all`: whether only failed entries are wanted."""
    level = query.get("level", "all")
    if level not in ("all", "error"):
        raise BadRequest("level: must be error or all", "level")
    return level == "error"
