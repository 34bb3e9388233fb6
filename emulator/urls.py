"""A function's `/fn/` URL, built in one place: the API's `url` field, the start-up table, the
pytest fixture's `call` and the client all take it from here, so it always answers."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["api_path", "function_path", "function_url", "websocket_url"]


def api_path(*parts: str) -> str:
    """`/part/part/...`, each part percent-encoded (a URL is ASCII, `format: uri`)."""
    return "".join("/" + quote(part, safe="") for part in parts)


def function_path(app_id: str, name: str) -> str:
    """`/v1/{app_id}/fn/{name}`."""
    return api_path("v1", app_id, "fn", name)


def function_url(base_url: str, app_id: str, name: str) -> str:
    return base_url + function_path(app_id, name)


def websocket_url(base_url: str, app_id: str, name: str) -> str:
    """The same URL with `ws`/`wss` for the websocket trigger."""
    return "ws" + function_url(base_url, app_id, name).removeprefix("http")
