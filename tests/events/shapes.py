"""Structural comparison of an event with AWS's sample of its shape (`tests/events/aws/`).

Same keys at every level, same JSON types, null where the sample has null and absent where it
leaves a key out; values (ids, times, header names) are not compared.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parent / "aws"


def aws_sample(name: str) -> dict[str, Any]:
    """One of AWS's sample events, by file stem (`apigw_v1`, `s3_put`, ...)."""
    sample: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return sample


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_differences(ours: Any, theirs: Any, *, maps: Collection[str] = (), optional: Collection[str] = (),
                      extra: Collection[str] = (), path: str = "") -> list[str]:
    """Every place where `ours` is not shaped like `theirs`, as `path: what`. Paths are dotted,
    with `[]` for a list's items.

    `maps`: objects keyed by the request's own names (headers, query): only their values' types
    are compared. `optional`: keys the sample carries only in set-ups fnemu has no counterpart
    for, which may be absent from ours. `extra`: keys of fnemu's own that the sample lacks."""
    kind, sample_kind = json_type(ours), json_type(theirs)
    if kind != sample_kind:
        return [f"{path or '$'}: {kind} where AWS has {sample_kind}"]
    if kind == "array":
        if ours and theirs:
            return shape_differences(ours[0], theirs[0], maps=maps, optional=optional, extra=extra,
                                     path=f"{path}[]")
        return []
    if kind != "object":
        return []
    if path in maps:
        types = {json_type(v) for v in theirs.values()}
        return [f"{path}.{k}: {json_type(v)} where AWS has {'/'.join(sorted(types))}"
                for k, v in ours.items() if types and json_type(v) not in types]
    found = []
    for key in theirs.keys() - ours.keys():
        if _join(path, key) not in optional:
            found.append(f"{_join(path, key)}: absent where AWS has {json_type(theirs[key])}")
    for key in ours.keys() - theirs.keys():
        if _join(path, key) not in extra:
            found.append(f"{_join(path, key)}: {json_type(ours[key])} where AWS has no such key")
    for key in ours.keys() & theirs.keys():
        found.extend(shape_differences(ours[key], theirs[key], maps=maps, optional=optional, extra=extra,
                                       path=_join(path, key)))
    return sorted(found)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
