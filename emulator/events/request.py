"""The neutral HTTP request every caller hands to `invoke`: the `/fn/` edge, test-invoke, triggers."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HttpRequest", "is_text"]

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "application/graphql", "application/x-ndjson")


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """`path` is what the function sees (below its `/fn/{name}` prefix); `full_path` the real one."""

    method: str
    path: str
    full_path: str
    query: tuple[tuple[str, str], ...]
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    host: str
    resource: str | None = None
    path_params: dict[str, str] | None = None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


def is_text(body: bytes, content_type: str | None) -> bool:
    """Whether a body travels as text rather than base64 (API Gateway's binary handling)."""
    if content_type:
        ctype = content_type.split(";", 1)[0].strip().lower()
        if not (ctype.startswith(_TEXT_TYPES) or ctype.endswith(("+json", "+xml"))):
            return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
