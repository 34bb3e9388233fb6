"""What every error response must look like (CONTRACT §3): the envelope and nothing else."""

from __future__ import annotations

import re
from typing import Any

import httpx

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

OK = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def api_error(response: httpx.Response, status: int, field: str | None, *words: str,
              prefixed: bool = True) -> dict[str, Any]:
    """Assert `status` with exactly `{"error": {code, message, field}}` and `field`; a bad-input
    message starts with the field's name (unless it is the runtime's own, `prefixed=False`), and
    every message holds each of `words` (the rule)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["error"], body
    error = body["error"]
    assert sorted(error) == ["code", "field", "message"], error
    assert isinstance(error["code"], str) and error["code"]
    assert error["field"] == field, error
    message = error["message"]
    if prefixed and status in (400, 409, 413):
        assert message.startswith(f"{field}: "), message
    for word in words:
        assert word in message, (word, message)
    return error
