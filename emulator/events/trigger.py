"""What a non-HTTP trigger hands a function: the platform's own event for `lambda`, and for
`web` a POST whose JSON body is that event and whose `X-Fnemu-Trigger` header names the trigger."""

from __future__ import annotations

from typing import Any

from .request import HttpRequest, json_post

__all__ = ["TRIGGER_HEADER", "trigger_request"]

TRIGGER_HEADER = "X-Fnemu-Trigger"


def trigger_request(trigger: str, event: Any, *, host: str, full_path: str) -> HttpRequest:
    return json_post(event, host=host, full_path=full_path, headers=((TRIGGER_HEADER, trigger),))
