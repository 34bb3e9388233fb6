"""What a non-HTTP trigger hands a function: the platform's own event for `lambda`, and for
`web` a POST whose JSON body is that event and whose `X-Fnemu-Trigger` header names the trigger."""

from __future__ import annotations

from typing import Any

import orjson

from .request import HttpRequest

__all__ = ["TRIGGER_HEADER", "trigger_request"]

TRIGGER_HEADER = "X-Fnemu-Trigger"


def trigger_request(trigger: str, event: Any, *, host: str, full_path: str) -> HttpRequest:
    return HttpRequest(
        method="POST",
        path="/",
        full_path=full_path,
        query=(),
        raw_query="",
        headers=(("Host", host), ("Content-Type", "application/json"), (TRIGGER_HEADER, trigger)),
        body=orjson.dumps(event),
        source_ip="127.0.0.1",
        host=host,
    )
